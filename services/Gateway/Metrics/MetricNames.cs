namespace Platform.Gateway.Metrics;

/// <summary>
/// Every instrument name the Gateway exports, in one place: vLLM's names (without the <c>vllm:</c> prefix)
/// where the meaning is the same, so existing dashboards and alerts carry over. Prometheus adds
/// <c>_total</c> to counters and <c>_bucket</c>/<c>_sum</c>/<c>_count</c> to histograms. The engine's gauges and
/// counters (the local engine's, or the decode pool's in Split mode) are <see cref="Platform.Engine.Metrics.EngineMetricNames"/>.
/// </summary>
public static class MetricNames
{
    public const string MeterName = "Platform.Gateway";

    public const string TimeToFirstToken = "time_to_first_token_seconds";
    public const string InterTokenLatency = "inter_token_latency_seconds";
    public const string E2eRequestLatency = "e2e_request_latency_seconds";
    public const string PromptTokens = "prompt_tokens";
    public const string GenerationTokens = "generation_tokens";
    /// <summary>Finished sequences by <c>finished_reason</c> (vLLM's <c>request_success</c>).</summary>
    public const string RequestSuccess = "request_success";
    /// <summary>Requests answered with an error, by <c>status_code</c> (Gateway's own).</summary>
    public const string RequestErrors = "gateway_request_errors";
    public const string RequestsInFlight = "gateway_requests_in_flight";

    // Split mode: TTFT in its parts (the prefill instance's queue, its prompt compute, the KV transfer's tail on
    // the critical path, and the rest until the first token reaches the gateway), and the router's decisions.
    public const string TtftQueue = "ttft_queue_seconds";
    public const string TtftPrefill = "ttft_prefill_seconds";
    public const string TtftKvTransfer = "ttft_kv_transfer_seconds";
    public const string TtftFirstDecode = "ttft_first_decode_seconds";
    /// <summary>Routing decisions by <c>kind</c> (split, colocated, unavailable) and <c>reason</c>.</summary>
    public const string RoutingDecisions = "gateway_routing_decisions";
    /// <summary>Decode instances that refused a request's KV (RESOURCE_EXHAUSTED) or could not be reached, by <c>outcome</c>.</summary>
    public const string DecodeRetries = "gateway_decode_retries";

    public const string FinishedReasonTag = "finished_reason";
    public const string StatusCodeTag = "status_code";
    public const string KindTag = "kind";
    public const string ReasonTag = "reason";
    public const string OutcomeTag = "outcome";

    // vLLM's bucket boundaries for the same histograms.
    internal static readonly IReadOnlyList<double> TimeToFirstTokenBuckets =
        [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0];
    internal static readonly IReadOnlyList<double> InterTokenLatencyBuckets =
        [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0];
    internal static readonly IReadOnlyList<double> E2eRequestLatencyBuckets =
        [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0];
}
