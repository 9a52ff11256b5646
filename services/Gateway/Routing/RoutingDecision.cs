namespace Platform.Gateway.Routing;

/// <summary>
/// Where one request goes. <see cref="DecodeCandidates"/> is the fallback order when a decode instance
/// refuses the KV (RESOURCE_EXHAUSTED); <see cref="ColocatedOn"/> names the instance of the mixed pool.
/// </summary>
public sealed record RoutingDecision(
    RoutingKind Kind,
    RoutingReason Reason,
    InstanceState? Prefill,
    IReadOnlyList<InstanceState> DecodeCandidates,
    InstanceState? ColocatedOn,
    int PromptBlocks)
{
    /// <summary>The first choice of decode instance, or null when none is healthy.</summary>
    public InstanceState? Decode => DecodeCandidates.Count > 0 ? DecodeCandidates[0] : null;
}
