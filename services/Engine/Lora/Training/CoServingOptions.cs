namespace Platform.Engine.Lora.Training;

/// <summary>How much of each engine iteration co-served fine-tuning may take (FlexLLM's F and k, and the SLO they are guarded by).</summary>
public sealed record CoServingOptions
{
    /// <summary>Most fine-tuning forward tokens per iteration (F), and where the guard starts.</summary>
    public int MaxForwardTokens { get; init; } = 256;

    /// <summary>Most layers of backward pass per iteration (k).</summary>
    public int MaxBackwardLayers { get; init; } = 4;

    /// <summary>
    /// The inter-token latency target: an iteration that runs over it shrinks F (then k) for the next one;
    /// one well under it (below half) grows them again. Null turns the guard off (F and k stay at their maxima).
    /// </summary>
    public TimeSpan? TargetIterationTime { get; init; } = TimeSpan.FromMilliseconds(100);
}
