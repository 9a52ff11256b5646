namespace Platform.Engine.Sampling;

/// <summary>One request's sampling parameters and its own random stream (seeded when the request has a seed).</summary>
public sealed class SamplingState
{
    public SamplingState(SamplingParams parameters)
    {
        Parameters = parameters;
        Random = parameters.Seed is long seed ? new Random(unchecked((int)(seed ^ (seed >> 32)))) : new Random();
    }

    public SamplingParams Parameters { get; }

    public Random Random { get; }
}
