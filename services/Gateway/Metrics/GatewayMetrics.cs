using System.Diagnostics.Metrics;

namespace Platform.Gateway.Metrics;

/// <summary>The Gateway's per-request instruments (latencies, token counts, outcomes).</summary>
public sealed class GatewayMetrics
{
    private readonly Histogram<double> _ttft;
    private readonly Histogram<double> _itl;
    private readonly Histogram<double> _e2e;
    private readonly Counter<long> _promptTokens;
    private readonly Counter<long> _generationTokens;
    private readonly Counter<long> _success;
    private readonly Counter<long> _errors;
    private readonly UpDownCounter<long> _inFlight;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MetricNames.MeterName);
        _ttft = meter.CreateHistogram(MetricNames.TimeToFirstToken, "s", "Time from request arrival to the first generated token",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricNames.TimeToFirstTokenBuckets });
        _itl = meter.CreateHistogram(MetricNames.InterTokenLatency, "s", "Time between consecutive generated tokens of a sequence",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricNames.InterTokenLatencyBuckets });
        _e2e = meter.CreateHistogram(MetricNames.E2eRequestLatency, "s", "Time from request arrival to its last token",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricNames.E2eRequestLatencyBuckets });
        _promptTokens = meter.CreateCounter<long>(MetricNames.PromptTokens, "{token}", "Prompt tokens of served requests");
        _generationTokens = meter.CreateCounter<long>(MetricNames.GenerationTokens, "{token}", "Generated tokens");
        _success = meter.CreateCounter<long>(MetricNames.RequestSuccess, "{sequence}", "Finished sequences by finish reason");
        _errors = meter.CreateCounter<long>(MetricNames.RequestErrors, "{request}", "Requests answered with an error, by HTTP status");
        _inFlight = meter.CreateUpDownCounter<long>(MetricNames.RequestsInFlight, "{request}", "Generation requests being served");
    }

    public void RecordTimeToFirstToken(TimeSpan elapsed) => _ttft.Record(elapsed.TotalSeconds);

    public void RecordInterTokenLatency(TimeSpan elapsed) => _itl.Record(elapsed.TotalSeconds);

    public void RecordFinished(string finishReason, TimeSpan e2e, int promptTokens, int generationTokens)
    {
        _e2e.Record(e2e.TotalSeconds);
        _promptTokens.Add(promptTokens);
        _generationTokens.Add(generationTokens);
        _success.Add(1, new KeyValuePair<string, object?>(MetricNames.FinishedReasonTag, finishReason));
    }

    public void RecordError(int statusCode) =>
        _errors.Add(1, new KeyValuePair<string, object?>(MetricNames.StatusCodeTag, statusCode));

    public void AddInFlight(int delta) => _inFlight.Add(delta);
}
