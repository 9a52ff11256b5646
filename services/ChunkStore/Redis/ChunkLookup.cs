namespace Platform.ChunkStore.Redis;

/// <summary>Per chunk asked for, what the store holds (null: a miss); and how many lookups failed, with the first reason.</summary>
public sealed record ChunkLookup(IReadOnlyList<StoredChunk?> Found, int Failures, string? FirstFailure)
{
    public int Hits => Found.Count(f => f is not null);
}
