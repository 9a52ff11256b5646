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
}
