using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Platform.RequestBus;

/// <summary>
/// What happened to bus messages (<c>bus_messages</c>, tagged <c>kind</c> and <c>outcome</c>: published,
/// acked, requeued, dead_lettered, expired, rejected_lag), how long they waited on the bus before a worker took
/// them, and the lag back-pressure last read.
/// </summary>
public sealed class BusMetrics
{
    public const string MeterName = "Platform.RequestBus";

    private readonly Counter<long> _messages;
    private readonly Histogram<double> _queueSeconds;
    private long _lag;

    public BusMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _messages = meter.CreateCounter<long>("bus_messages", "{message}", "Request-bus messages by outcome.");
        _queueSeconds = meter.CreateHistogram<double>("bus_queue_seconds", "s", "Time from publish to a prefill worker taking the request.");
        meter.CreateObservableGauge("bus_lag", () => Volatile.Read(ref _lag), "{message}", "Requests accepted on the bus and not yet acknowledged, as last read.");
    }

    public void Record(BusKind kind, string outcome) => _messages.Add(1, new TagList { { "kind", kind.ToString() }, { "outcome", outcome } });

    public void RecordQueueTime(BusKind kind, double seconds) => _queueSeconds.Record(seconds, new TagList { { "kind", kind.ToString() } });

    public void RecordLag(long lag) => Volatile.Write(ref _lag, lag);
}
