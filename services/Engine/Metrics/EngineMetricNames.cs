namespace Platform.Engine.Metrics;

/// <summary>
/// The names of the engine's instruments, shared by every service that runs or fronts an engine (the Gateway,
/// Prefill, Decode): vLLM's names (without the <c>vllm:</c> prefix) where the meaning is the same. Prometheus
/// adds <c>_total</c> to counters and the unit (<c>_bytes</c>) where the name lacks it.
/// </summary>
public static class EngineMetricNames
{
    public const string MeterName = "Platform.Engine";

    public const string NumRequestsRunning = "num_requests_running";
    public const string NumRequestsWaiting = "num_requests_waiting";
    public const string KvCacheUsagePerc = "kv_cache_usage_perc";
    public const string PrefixCacheQueries = "prefix_cache_queries";
    public const string PrefixCacheHits = "prefix_cache_hits";
    public const string NumPreemptions = "num_preemptions";
    /// <summary>Prompt tokens admitted and not yet computed: the prefill work queued in the engine.</summary>
    public const string QueuedPromptTokens = "num_queued_prompt_tokens";

    // CacheBlend (RAG prompts assembled from stored chunk KV).
    public const string BlendLookups = "cacheblend_lookups";
    public const string BlendBlended = "cacheblend_blended";
    /// <summary>Blends that fell back to a full prefill, by <c>reason</c>.</summary>
    public const string BlendFallbacks = "cacheblend_fallbacks";
    public const string BlendTokensReused = "cacheblend_tokens_reused";
    public const string BlendTokensRecomputed = "cacheblend_tokens_recomputed";
    public const string BlendLoadedBytes = "cacheblend_loaded_bytes";

    // LoRA serving and co-served fine-tuning.
    public const string LoraAdaptersResident = "lora_adapters_resident";
    public const string FineTuningTokensTrained = "fine_tuning_tokens_trained";
    public const string FineTuningTimeShare = "fine_tuning_time_share";
    public const string FineTuningActive = "fine_tuning_active";

    public const string ReasonTag = "reason";
}
