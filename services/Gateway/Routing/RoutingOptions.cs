namespace Platform.Gateway.Routing;

/// <summary>The cluster scheduler's policies (section <c>Gateway:Routing</c>).</summary>
public sealed class RoutingOptions
{
    public const string SectionName = "Gateway:Routing";

    /// <summary>How often every instance is asked for its load (GetLoad); an instance that does not answer is skipped until it does.</summary>
    public TimeSpan LoadPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait for one GetLoad answer.</summary>
    public TimeSpan LoadTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Age past which an instance's load report no longer counts: it missed a few poll rounds (derived, not configured).</summary>
    public TimeSpan StaleAfter => (3 * LoadPollInterval) + LoadTimeout;

    /// <summary>Prompts shorter than this many tokens run colocated (mixed pool); 0 disaggregates every prompt.</summary>
    public int ColocateBelowPromptTokens { get; set; }

    /// <summary>
    /// Free KV blocks a decode instance must keep beyond the prompt's own to take it; when none can, the
    /// request runs colocated (mixed pool).
    /// </summary>
    public int MinFreeDecodeBlocks { get; set; }

    /// <summary>Decode instances tried per request when they refuse the KV (RESOURCE_EXHAUSTED) or cannot be reached.</summary>
    public int MaxDecodeAttempts { get; set; } = 3;

    /// <summary>Longest a prefill (queueing, prompt compute and KV transfer) may take before the request fails.</summary>
    public TimeSpan PrefillTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
