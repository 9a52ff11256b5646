namespace Platform.Gateway.Api;

/// <summary>
/// Request extension <c>rag</c> on <c>/v1/chat/completions</c> and <c>/v1/completions</c>: retrieved chunks
/// placed before the question as separate prompt segments, their KV reused from the chunk store (CacheBlend).
/// </summary>
public sealed record RagExtension
{
    /// <summary>The retrieved chunks in prompt order; each by <c>id</c> (from ingest) or by <c>text</c>.</summary>
    public IReadOnlyList<RagChunkInput>? Chunks { get; init; }

    /// <summary>Share of cached tokens recomputed, in [0, 1] (default 0.15); 1.0 gives exactly a full prefill's tokens.</summary>
    public double? RecomputeRatio { get; init; }

    /// <summary>Store chunks given by text that were not in the store, for the next request (default <c>ChunkStore:WriteBack</c>).</summary>
    public bool? WriteBack { get; init; }
}
