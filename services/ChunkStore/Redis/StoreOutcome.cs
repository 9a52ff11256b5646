namespace Platform.ChunkStore.Redis;

/// <summary>What storing one chunk did; the lowercase name is the metric tag and the API's word.</summary>
public enum StoreOutcome
{
    /// <summary>Written now.</summary>
    Stored,

    /// <summary>Already there (ingest is idempotent: the same chunk is never written twice).</summary>
    Existing,

    /// <summary>Larger than <c>ChunkStore:MaxChunkBytes</c>.</summary>
    TooLarge,

    /// <summary>Redis uses more than <c>ChunkStore:MaxStoreBytes</c>.</summary>
    OverBudget,

    /// <summary>Redis down, slow or refusing the write.</summary>
    Failed,
}
