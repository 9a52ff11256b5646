namespace Platform.Engine.Lora.Training;

/// <summary>How much of each engine iteration co-served fine-tuning may take (FlexLLM's F and k, and the SLO they are guarded by).</summary>
public sealed record CoServingOptions
{
    /// <summary>
    /// Most fine-tuning forward tokens per iteration (F). Iterations without inference start here; beside inference
    /// the guard starts at 1 and grows F (then k) while slices fit their budget.
    /// </summary>
    public int MaxForwardTokens { get; init; } = 256;

    /// <summary>Most layers of backward pass per iteration (k).</summary>
    public int MaxBackwardLayers { get; init; } = 4;

    /// <summary>
    /// How much co-serving may slow inference down, as a share of the inference-only iteration time's p99
    /// (0.1: inter-token latency p99 at most 10% above inference alone). The guard learns that p99 from the
    /// inference part of each iteration, timed apart from the fine-tuning part, and gives fine-tuning this share
    /// of it in each iteration that also runs inference. 0: fine-tuning runs only in iterations without
    /// inference. Null: no relative limit (only <see cref="TargetIterationTime"/> bounds F and k).
    /// </summary>
    public double? MaxInferenceSlowdown { get; init; } = 0.1;

    /// <summary>
    /// Optional absolute cap on a whole iteration (inference plus fine-tuning), also in iterations without
    /// inference (so a request arriving meanwhile waits about this long at most). Null (the default): no cap.
    /// On a CPU a small slice costs nearly as much per op as a large one, so a cap that keeps shrinking F trades
    /// much fine-tuning throughput for it.
    /// </summary>
    public TimeSpan? TargetIterationTime { get; init; }

    /// <summary>Throws naming the field when a value is out of range.</summary>
    public void Validate()
    {
        if (MaxForwardTokens < 1 || MaxBackwardLayers < 1)
        {
            throw new ArgumentException($"CoServing MaxForwardTokens ({MaxForwardTokens}) and MaxBackwardLayers ({MaxBackwardLayers}) must be at least 1");
        }
        if (MaxInferenceSlowdown is { } slowdown && (slowdown < 0 || !double.IsFinite(slowdown)))
        {
            throw new ArgumentException($"CoServing MaxInferenceSlowdown ({slowdown}) must be a finite share >= 0");
        }
        if (TargetIterationTime is { } target && target <= TimeSpan.Zero)
        {
            throw new ArgumentException($"CoServing TargetIterationTime ({target}) must be positive, or null for no cap");
        }
    }
}
