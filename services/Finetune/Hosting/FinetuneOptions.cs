namespace Platform.Finetune.Hosting;

/// <summary>The fine-tuning service's settings (<c>Finetune:*</c>).</summary>
public sealed class FinetuneOptions
{
    public const string SectionName = "Finetune";

    /// <summary>Where uploaded files, jobs, their events, checkpoints and final adapters are kept (survives restarts).</summary>
    public string DataPath { get; set; } = "finetune-data";

    /// <summary>A checkpoint (adapter weights, AdamW state, step) every this many optimizer steps, and after the last.</summary>
    public int CheckpointEverySteps { get; set; } = 10;

    /// <summary>The largest training file accepted.</summary>
    public long MaxFileBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>FlexLLM's F: most fine-tuning forward tokens per engine iteration.</summary>
    public int MaxForwardTokens { get; set; } = 256;

    /// <summary>FlexLLM's k: most backward layers per engine iteration.</summary>
    public int MaxBackwardLayers { get; set; } = 4;

    /// <summary>
    /// How much co-served fine-tuning may slow inference down: the share of the learned inference-only iteration
    /// p99 that an iteration running inference may spend on fine-tuning (0.1: inter-token p99 within 10% of
    /// inference alone); 0: fine-tuning only in iterations without inference.
    /// </summary>
    public double MaxInferenceSlowdown { get; set; } = 0.1;

    /// <summary>Optional absolute cap on a whole engine iteration (inference plus fine-tuning), in ms; 0: no cap.</summary>
    public double TargetIterationMs { get; set; }

    /// <summary>Split mode: how long a job waits for a Decode instance with room (none healthy, or each running a job) before it fails.</summary>
    public TimeSpan PlacementTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The engine-side co-serving settings these options give a job.</summary>
    public Engine.Lora.Training.CoServingOptions CoServing() => new()
    {
        MaxForwardTokens = MaxForwardTokens,
        MaxBackwardLayers = MaxBackwardLayers,
        MaxInferenceSlowdown = MaxInferenceSlowdown,
        TargetIterationTime = TargetIterationMs > 0 ? TimeSpan.FromMilliseconds(TargetIterationMs) : null,
    };
}
