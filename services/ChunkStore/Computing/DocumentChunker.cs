namespace Platform.ChunkStore.Computing;

/// <summary>Splits a document's token ids into consecutive chunks of a fixed size (the last one shorter).</summary>
public static class DocumentChunker
{
    public const int MinChunkTokens = 8;
    public const int MaxChunkTokens = 4096;

    public static IReadOnlyList<int[]> Split(IReadOnlyList<int> tokenIds, int chunkTokens)
    {
        if (chunkTokens is < MinChunkTokens or > MaxChunkTokens)
        {
            throw new ArgumentOutOfRangeException(nameof(chunkTokens), chunkTokens, $"chunk size must be in [{MinChunkTokens}, {MaxChunkTokens}] tokens");
        }
        var chunks = new List<int[]>((tokenIds.Count + chunkTokens - 1) / chunkTokens);
        for (int start = 0; start < tokenIds.Count; start += chunkTokens)
        {
            int count = Math.Min(chunkTokens, tokenIds.Count - start);
            var chunk = new int[count];
            for (int i = 0; i < count; i++)
            {
                chunk[i] = tokenIds[start + i];
            }
            chunks.Add(chunk);
        }
        return chunks;
    }
}
