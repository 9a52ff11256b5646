namespace Platform.Engine.Lora.Training;

/// <summary>
/// FlexLLM's SLO guard: after an iteration that ran over the latency target, halve F (the fine-tuning
/// forward tokens), and once F is at its floor, cut k (backward layers); after one well under the target,
/// grow F back, then k. Plain CPU arithmetic, testable alone.
/// </summary>
public sealed class CoServingGuard
{
    private const int MinForwardTokens = 1;
    private readonly CoServingOptions _options;
    private readonly int _maxLayers;

    public CoServingGuard(CoServingOptions options, int numLayers)
    {
        if (options.MaxForwardTokens < 1 || options.MaxBackwardLayers < 1)
        {
            throw new ArgumentException($"CoServing MaxForwardTokens ({options.MaxForwardTokens}) and MaxBackwardLayers ({options.MaxBackwardLayers}) must be at least 1");
        }
        _options = options;
        _maxLayers = Math.Min(options.MaxBackwardLayers, numLayers);
        ForwardTokens = options.MaxForwardTokens;
        BackwardLayers = _maxLayers;
    }

    /// <summary>F for the next iteration.</summary>
    public int ForwardTokens { get; private set; }

    /// <summary>k for the next iteration.</summary>
    public int BackwardLayers { get; private set; }

    public void Observe(TimeSpan iteration)
    {
        if (_options.TargetIterationTime is not { } target)
        {
            return;
        }
        if (iteration > target)
        {
            if (ForwardTokens > MinForwardTokens)
            {
                ForwardTokens = Math.Max(MinForwardTokens, ForwardTokens / 2);
            }
            else
            {
                BackwardLayers = Math.Max(1, BackwardLayers - 1);
            }
        }
        else if (iteration < target / 2)
        {
            if (ForwardTokens < _options.MaxForwardTokens)
            {
                ForwardTokens = Math.Min(_options.MaxForwardTokens, ForwardTokens * 2);
            }
            else if (BackwardLayers < _maxLayers)
            {
                BackwardLayers++;
            }
        }
    }
}
