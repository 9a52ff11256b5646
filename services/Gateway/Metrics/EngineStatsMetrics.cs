using System.Diagnostics.Metrics;
using Platform.Engine.Serving;
using Platform.Gateway.Backend;

namespace Platform.Gateway.Metrics;

/// <summary>
/// The serving engine's load as observable instruments, read from <see cref="IGenerationBackend.Stats"/> when
/// scraped. One scrape reads the stats once (they take the engine's step lock), not once per instrument.
/// </summary>
public sealed class EngineStatsMetrics
{
    private static readonly TimeSpan SnapshotLifetime = TimeSpan.FromMilliseconds(100);
    private readonly IGenerationBackend _backend;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private (EngineStats? Stats, long At) _snapshot;

    public EngineStatsMetrics(IMeterFactory meterFactory, IGenerationBackend backend, TimeProvider time)
    {
        _backend = backend;
        _time = time;
        var meter = meterFactory.Create(MetricNames.EngineMeterName);
        meter.CreateObservableGauge(MetricNames.NumRequestsRunning, () => Observe(s => (long)s.NumRequestsRunning), "{request}", "Requests in the running batch");
        meter.CreateObservableGauge(MetricNames.NumRequestsWaiting, () => Observe(s => (long)s.NumRequestsWaiting), "{request}", "Requests waiting to be scheduled");
        meter.CreateObservableGauge(MetricNames.KvCacheUsagePerc, () => Observe(s => s.KvCacheUsagePerc), null, "Fraction of KV cache blocks in use (0-1)");
        meter.CreateObservableCounter(MetricNames.PrefixCacheQueries, () => Observe(s => s.PrefixCacheQueries), "{token}", "Prompt tokens looked up in the prefix cache");
        meter.CreateObservableCounter(MetricNames.PrefixCacheHits, () => Observe(s => s.PrefixCacheHits), "{token}", "Prompt tokens found in the prefix cache");
        meter.CreateObservableCounter(MetricNames.NumPreemptions, () => Observe(s => s.NumPreemptions), "{preemption}", "Sequences preempted for lack of KV blocks");
    }

    private IEnumerable<Measurement<T>> Observe<T>(Func<EngineStats, T> read)
        where T : struct
    {
        var stats = Current();
        return stats is null ? [] : [new Measurement<T>(read(stats))];
    }

    private EngineStats? Current()
    {
        lock (_lock)
        {
            long now = _time.GetTimestamp();
            if (_snapshot.At == 0 || _time.GetElapsedTime(_snapshot.At, now) > SnapshotLifetime)
            {
                _snapshot = (_backend.Stats(), now);
            }
            return _snapshot.Stats;
        }
    }
}
