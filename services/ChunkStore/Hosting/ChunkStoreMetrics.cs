using System.Diagnostics.Metrics;

namespace Platform.ChunkStore.Hosting;

/// <summary>The chunk store's instruments (meter <c>Platform.ChunkStore</c>), named in one place.</summary>
public sealed class ChunkStoreMetrics
{
    public const string MeterName = "Platform.ChunkStore";

    private readonly Counter<long> _lookups;
    private readonly Counter<long> _hits;
    private readonly Counter<long> _bytesLoaded;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _stored;
    private readonly Counter<long> _bytesStored;
    private readonly Counter<long> _fallbacks;
    private readonly Histogram<double> _recomputeRatio;
    private readonly Counter<long> _reusedTokens;

    public ChunkStoreMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _lookups = meter.CreateCounter<long>("chunk_lookups", description: "Chunks looked up in the store");
        _hits = meter.CreateCounter<long>("chunk_hits", description: "Chunk lookups that found stored KV");
        _bytesLoaded = meter.CreateCounter<long>("chunk_bytes_loaded", unit: "By", description: "Bytes of chunk KV read from the store");
        _failures = meter.CreateCounter<long>("chunk_store_failures", description: "Store operations that failed, by operation and reason (down, timeout, corrupt)");
        _stored = meter.CreateCounter<long>("chunks_stored", description: "Chunks written, by outcome (stored, existing, too_large, over_budget)");
        _bytesStored = meter.CreateCounter<long>("chunk_bytes_stored", unit: "By", description: "Bytes of chunk KV written");
        _fallbacks = meter.CreateCounter<long>("chunk_fallbacks", description: "RAG requests answered by full prefill because the store failed");
        _recomputeRatio = meter.CreateHistogram<double>("chunk_recompute_ratio", description: "Recompute ratio r requested for RAG prompts with cached chunks",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0] });
        _reusedTokens = meter.CreateCounter<long>("chunk_reused_tokens", description: "Prompt tokens whose KV came from stored chunks");
    }

    public void RecordLookups(int lookups, int hits)
    {
        _lookups.Add(lookups);
        _hits.Add(hits);
    }

    public void RecordBytesLoaded(long bytes) => _bytesLoaded.Add(bytes);

    public void RecordFailure(string operation, string reason) =>
        _failures.Add(1, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("reason", reason));

    public void RecordStored(string outcome, long bytes)
    {
        _stored.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        if (bytes > 0)
        {
            _bytesStored.Add(bytes);
        }
    }

    public void RecordFallback(string reason) => _fallbacks.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void RecordRecomputeRatio(double ratio) => _recomputeRatio.Record(ratio);

    public void RecordReusedTokens(int tokens) => _reusedTokens.Add(tokens);
}
