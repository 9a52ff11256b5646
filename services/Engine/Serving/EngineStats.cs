namespace Platform.Engine.Serving;

/// <summary>A snapshot of the engine's load, named after vLLM's metrics where the meaning is the same.</summary>
public sealed record EngineStats(
    int NumRequestsRunning,
    int NumRequestsWaiting,
    double KvCacheUsagePerc,
    int NumFreeBlocks,
    int NumTotalBlocks,
    long PrefixCacheQueries,
    long PrefixCacheHits,
    long NumPreemptions,
    long PromptTokensTotal,
    long GenerationTokensTotal,
    long StepsTotal)
{
    /// <summary>CacheBlend counters: lookups, blends, fallbacks by reason, tokens reused and recomputed, bytes loaded.</summary>
    public Blending.BlendStats Blend { get; init; } = Blending.BlendStats.Empty;

    /// <summary>Prompt tokens admitted and not yet computed (queued, waiting or mid-prefill): the prefill work ahead.</summary>
    public long QueuedPromptTokens { get; init; }

    /// <summary>LoRA adapters resident in the engine.</summary>
    public int AdaptersResident { get; init; }

    /// <summary>Tokens trained by co-served fine-tuning jobs since the engine started.</summary>
    public long FineTuningTokensTrained { get; init; }

    /// <summary>Share of iteration time spent on fine-tuning since the engine started (0-1).</summary>
    public double FineTuningTimeShare { get; init; }

    /// <summary>Whether a co-served fine-tuning job is running.</summary>
    public bool FineTuningActive { get; init; }
}
