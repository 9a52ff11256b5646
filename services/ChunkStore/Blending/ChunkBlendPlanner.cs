using Platform.ChunkStore.Redis;
using Platform.Engine.Blending;

namespace Platform.ChunkStore.Blending;

/// <summary>
/// Turns a RAG prompt's segments into the engine's <see cref="BlendSpec"/>: stored chunks become
/// <see cref="RedisChunkKvSource"/> segments, everything else is computed. The same code runs in the
/// all-in-one Gateway and in Prefill, so both build the same blend from the same prompt.
/// </summary>
public static class ChunkBlendPlanner
{
    /// <summary>
    /// The blend, or null when no segment is cached (a plain prefill). A stored chunk whose token ids differ
    /// from the prompt's tokens at its place is not used (it would put foreign KV into the prompt).
    /// </summary>
    public static BlendSpec? Build(RedisChunkStore store, IReadOnlyList<int> prompt, IReadOnlyList<PlannedSegment> segments, double recomputeRatio, int? minCachedTokens = null)
    {
        if (recomputeRatio is < 0 or > 1 || double.IsNaN(recomputeRatio))
        {
            throw new ArgumentOutOfRangeException(nameof(recomputeRatio), recomputeRatio, "the recompute ratio must be in [0, 1]");
        }
        int next = 0;
        var result = new List<PromptSegment>(segments.Count);
        bool anyCached = false;
        foreach (var segment in segments)
        {
            if (segment.Start != next || segment.Length < 1 || segment.Start + segment.Length > prompt.Count)
            {
                throw new ArgumentException($"segment [{segment.Start}, {segment.Start + segment.Length}) does not continue the prompt at {next} within {prompt.Count} tokens");
            }
            next += segment.Length;
            IChunkKvSource? source = segment.Chunk is { } chunk && Matches(chunk, prompt, segment) ? new RedisChunkKvSource(store, chunk) : null;
            anyCached |= source is not null;
            result.Add(new PromptSegment(segment.Start, segment.Length, source));
        }
        if (next != prompt.Count)
        {
            throw new ArgumentException($"the segments cover {next} of {prompt.Count} prompt tokens");
        }
        if (!anyCached)
        {
            return null;
        }
        var spec = new BlendSpec(Merge(result)) { RecomputeRatio = recomputeRatio };
        return minCachedTokens is { } min and >= 0 ? spec with { MinCachedTokens = min } : spec;
    }

    /// <summary>Tokens of the blend's cached segments.</summary>
    public static int CachedTokens(BlendSpec? blend) => blend?.Segments.Where(s => s.Cached is not null).Sum(s => s.Length) ?? 0;

    private static bool Matches(StoredChunk chunk, IReadOnlyList<int> prompt, PlannedSegment segment)
    {
        var ids = chunk.Header.TokenIds;
        if (ids.Count != segment.Length)
        {
            return false;
        }
        for (int i = 0; i < ids.Count; i++)
        {
            if (ids[i] != prompt[segment.Start + i])
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Adjacent computed segments as one: the engine sees the fewest segments that say the same.</summary>
    private static List<PromptSegment> Merge(List<PromptSegment> segments)
    {
        var merged = new List<PromptSegment>(segments.Count);
        foreach (var s in segments)
        {
            if (s.Cached is null && merged.Count > 0 && merged[^1].Cached is null)
            {
                merged[^1] = merged[^1] with { Length = merged[^1].Length + s.Length };
            }
            else
            {
                merged.Add(s);
            }
        }
        return merged;
    }
}
