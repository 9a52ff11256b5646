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
    long StepsTotal);
