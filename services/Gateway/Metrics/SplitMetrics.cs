using System.Diagnostics.Metrics;
using Platform.Gateway.Routing;

namespace Platform.Gateway.Metrics;

/// <summary>Split mode's instruments: TTFT in its four parts, routing decisions, decode fallbacks.</summary>
public sealed class SplitMetrics
{
    private readonly Histogram<double> _queue;
    private readonly Histogram<double> _prefill;
    private readonly Histogram<double> _transfer;
    private readonly Histogram<double> _firstDecode;
    private readonly Counter<long> _decisions;
    private readonly Counter<long> _retries;

    public SplitMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MetricNames.MeterName);
        Histogram<double> Part(string name, string description) => meter.CreateHistogram(name, "s", description,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricNames.TimeToFirstTokenBuckets });
        _queue = Part(MetricNames.TtftQueue, "TTFT part: waiting on the prefill instance before the step that computed the prompt");
        _prefill = Part(MetricNames.TtftPrefill, "TTFT part: the prefill step that computed the prompt");
        _transfer = Part(MetricNames.TtftKvTransfer, "TTFT part: KV transfer after the prompt's last layer was computed, until the decode side acknowledged it");
        _firstDecode = Part(MetricNames.TtftFirstDecode, "TTFT part: the rest, until the first token reached the gateway (routing, decode commit, token stream)");
        _decisions = meter.CreateCounter<long>(MetricNames.RoutingDecisions, "{decision}", "Routing decisions by kind and reason");
        _retries = meter.CreateCounter<long>(MetricNames.DecodeRetries, "{attempt}", "Decode instances given up on for a request, by outcome");
    }

    public void RecordDecision(RoutingDecision decision) => _decisions.Add(1,
        new KeyValuePair<string, object?>(MetricNames.KindTag, Tag(decision.Kind.ToString())),
        new KeyValuePair<string, object?>(MetricNames.ReasonTag, Tag(decision.Reason.ToString())));

    public void RecordDecodeRetry(string outcome) =>
        _retries.Add(1, new KeyValuePair<string, object?>(MetricNames.OutcomeTag, outcome));

    public void RecordTimeToFirstTokenParts(double queue, double prefill, double transfer, double firstDecode)
    {
        _queue.Record(queue);
        _prefill.Record(prefill);
        _transfer.Record(transfer);
        _firstDecode.Record(firstDecode);
    }

    // Prometheus label values in snake_case, like the other tags (decode_pool_full, no_prefill_instance).
    private static string Tag(string pascal) =>
        string.Concat(pascal.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));
}
