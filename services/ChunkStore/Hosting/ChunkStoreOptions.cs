namespace Platform.ChunkStore.Hosting;

/// <summary>The <c>ChunkStore</c> section; the Redis connection itself is <c>ConnectionStrings:redis</c>.</summary>
public sealed class ChunkStoreOptions
{
    public const string SectionName = "ChunkStore";

    /// <summary>How long a stored chunk lives without being stored again (Redis EXPIRE); Redis' LRU may drop it earlier.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Largest value one chunk may take; longer chunks are not stored (and stay computed).</summary>
    public long MaxChunkBytes { get; set; } = 64L << 20;

    /// <summary>Writes stop while Redis reports more memory used than this (0: only Redis' own maxmemory applies).</summary>
    public long MaxStoreBytes { get; set; }

    /// <summary>Longest wait for one Redis read (a header probe, one layer) before the chunk counts as unavailable.</summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Read chunk values (header probes, layers) over connections of the store's own, straight into pooled buffers,
    /// instead of through the multiplexer, which costs two to four times the CPU per byte; the multiplexer is still
    /// used for everything else, and for reads where the connection string names several servers or a Sentinel
    /// service, or where a cluster redirects a read.
    /// </summary>
    public bool DirectReads { get; set; } = true;

    /// <summary>Direct reads in flight at once, each on a connection of its own; more wait (within <see cref="ReadTimeout"/>).</summary>
    public int MaxDirectReads { get; set; } = 32;

    /// <summary>Longest wait for storing one chunk.</summary>
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Tokens per chunk when documents are split (256-512 is the useful range for RAG; smaller for tiny models).</summary>
    public int ChunkTokens { get; set; } = 256;

    /// <summary>Overrides the model id derived from the checkpoint (config.json and safetensors fingerprint).</summary>
    public string? ModelId { get; set; }

    /// <summary>
    /// Below this many cached prompt tokens a RAG request is fully prefilled instead of blended (LMCache uses 256:
    /// loading and re-rotating a few chunk tokens saves less than it costs).
    /// </summary>
    public int MinCachedTokens { get; set; } = 256;

    /// <summary>Store chunks that missed in a RAG request, so the next request reuses them (a request may say otherwise).</summary>
    public bool WriteBack { get; set; } = true;
}
