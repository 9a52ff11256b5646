using System.Diagnostics.Metrics;

namespace Platform.Gateway.Rag;

/// <summary>RAG requests at the Gateway (meter <c>Platform.Gateway.Rag</c>): how they were served and their TTFT with and without reuse.</summary>
public sealed class RagMetrics
{
    public const string MeterName = "Platform.Gateway.Rag";

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _timeToFirstToken;

    public RagMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _requests = meter.CreateCounter<long>("rag_requests", description: "RAG requests, by how their prompt was built (reuse, no_reuse, store_unavailable)");
        _timeToFirstToken = meter.CreateHistogram<double>("rag_time_to_first_token_seconds", unit: "s",
            description: "Time to first token of RAG requests, with (reuse=true) and without stored chunk KV",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
    }

    public void RecordRequest(string outcome) => _requests.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void RecordTimeToFirstToken(TimeSpan elapsed, bool reuse) =>
        _timeToFirstToken.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("reuse", reuse ? "true" : "false"));
}
