using System.Diagnostics.Metrics;
using Platform.Engine.Blending;
using Platform.Engine.Serving;

namespace Platform.Engine.Metrics;

/// <summary>
/// An engine's <see cref="EngineStats"/> as observable instruments (<see cref="EngineMetricNames"/>), read when
/// scraped. One scrape reads the stats once (they take the engine's step lock), not once per instrument; no
/// measurement while the source has none (an engine not loaded yet, a pool with no report).
/// </summary>
public sealed class EngineStatsInstruments
{
    private static readonly TimeSpan SnapshotLifetime = TimeSpan.FromMilliseconds(100);
    private readonly Func<EngineStats?> _read;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private (EngineStats? Stats, long At) _snapshot;

    public EngineStatsInstruments(IMeterFactory meterFactory, Func<EngineStats?> read, TimeProvider time)
    {
        _read = read;
        _time = time;
        var meter = meterFactory.Create(EngineMetricNames.MeterName);
        meter.CreateObservableGauge(EngineMetricNames.NumRequestsRunning, () => Observe(s => (long)s.NumRequestsRunning), "{request}", "Requests in the running batch");
        meter.CreateObservableGauge(EngineMetricNames.NumRequestsWaiting, () => Observe(s => (long)s.NumRequestsWaiting), "{request}", "Requests waiting to be scheduled");
        meter.CreateObservableGauge(EngineMetricNames.KvCacheUsagePerc, () => Observe(s => s.KvCacheUsagePerc), null, "Fraction of KV cache blocks in use (0-1)");
        meter.CreateObservableCounter(EngineMetricNames.PrefixCacheQueries, () => Observe(s => s.PrefixCacheQueries), "{token}", "Prompt tokens looked up in the prefix cache");
        meter.CreateObservableCounter(EngineMetricNames.PrefixCacheHits, () => Observe(s => s.PrefixCacheHits), "{token}", "Prompt tokens found in the prefix cache");
        meter.CreateObservableCounter(EngineMetricNames.NumPreemptions, () => Observe(s => s.NumPreemptions), "{preemption}", "Sequences preempted for lack of KV blocks");
        meter.CreateObservableGauge(EngineMetricNames.QueuedPromptTokens, () => Observe(s => s.QueuedPromptTokens), "{token}", "Prompt tokens admitted and not yet computed");

        meter.CreateObservableCounter(EngineMetricNames.BlendLookups, () => Observe(s => s.Blend.Lookups), "{prompt}", "RAG prompts whose chunks were looked up for CacheBlend");
        meter.CreateObservableCounter(EngineMetricNames.BlendBlended, () => Observe(s => s.Blend.Blended), "{prompt}", "RAG prompts served from blended chunk KV");
        meter.CreateObservableCounter(EngineMetricNames.BlendFallbacks, ObserveFallbacks, "{prompt}", "RAG prompts that fell back to a full prefill, by reason");
        meter.CreateObservableCounter(EngineMetricNames.BlendTokensReused, () => Observe(s => s.Blend.TokensReused), "{token}", "Blended prompt tokens whose stored KV was reused");
        meter.CreateObservableCounter(EngineMetricNames.BlendTokensRecomputed, () => Observe(s => s.Blend.TokensRecomputed), "{token}", "Blended prompt tokens computed at every layer");
        meter.CreateObservableCounter(EngineMetricNames.BlendLoadedBytes, () => Observe(s => s.Blend.BytesLoaded), "By", "Chunk KV bytes loaded into the engine for blending");

        meter.CreateObservableGauge(EngineMetricNames.LoraAdaptersResident, () => Observe(s => (long)s.AdaptersResident), "{adapter}", "LoRA adapters resident in the engine");
        meter.CreateObservableCounter(EngineMetricNames.FineTuningTokensTrained, () => Observe(s => s.FineTuningTokensTrained), "{token}", "Tokens trained by co-served fine-tuning");
        meter.CreateObservableGauge(EngineMetricNames.FineTuningTimeShare, () => Observe(s => s.FineTuningTimeShare), null, "Share of engine iteration time spent fine-tuning since start (0-1)");
        meter.CreateObservableGauge(EngineMetricNames.FineTuningActive, () => Observe(s => s.FineTuningActive ? 1L : 0L), null, "1 while a co-served fine-tuning job runs");
    }

    private IEnumerable<Measurement<T>> Observe<T>(Func<EngineStats, T> read)
        where T : struct
    {
        var stats = Current();
        return stats is null ? [] : [new Measurement<T>(read(stats))];
    }

    private IEnumerable<Measurement<long>> ObserveFallbacks()
    {
        if (Current()?.Blend is not BlendStats blend)
        {
            return [];
        }
        return
        [
            Fallback(blend.FallbacksTooFewCachedTokens, "too_few_cached_tokens"),
            Fallback(blend.FallbacksUnsupportedRope, "unsupported_rope"),
            Fallback(blend.FallbacksChunkUnavailable, "chunk_unavailable"),
            Fallback(blend.FallbacksLoadTimeout, "load_timeout"),
        ];
    }

    private static Measurement<long> Fallback(long value, string reason) =>
        new(value, new KeyValuePair<string, object?>(EngineMetricNames.ReasonTag, reason));

    private EngineStats? Current()
    {
        lock (_lock)
        {
            long now = _time.GetTimestamp();
            if (_snapshot.At == 0 || _time.GetElapsedTime(_snapshot.At, now) > SnapshotLifetime)
            {
                _snapshot = (_read(), now);
            }
            return _snapshot.Stats;
        }
    }
}
