using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Platform.PhaseSplit.Metrics;

/// <summary>KV transfer time and volume, on both sides (<c>side</c> = send or receive; <c>outcome</c> = ok or the gRPC status).</summary>
public sealed class KvTransferMetrics
{
    public const string MeterName = "Platform.KvTransfer";

    private readonly Histogram<double> _seconds;
    private readonly Counter<long> _bytes;

    public KvTransferMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _seconds = meter.CreateHistogram<double>("kv_transfer_seconds", "s", "Time from a prompt's first KV layer to the decode side's acknowledgement.");
        _bytes = meter.CreateCounter<long>("kv_transfer_bytes", "By", "KV bytes (K and V) moved between prefill and decode.");
    }

    public void Record(string side, string outcome, double seconds, long bytes)
    {
        var tags = new TagList { { "side", side }, { "outcome", outcome } };
        _seconds.Record(seconds, tags);
        _bytes.Add(bytes, tags);
    }
}
