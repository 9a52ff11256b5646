using Platform.Engine.Serving;

namespace Platform.ChunkStore.Blending;

/// <summary>
/// How many prompt tokens a request reused from stored chunks, for <c>usage.prompt_tokens_details.cached_tokens</c>
/// (added to the prefix cache's hits) and the <c>chunk_reused_tokens</c> metric.
/// </summary>
public static class BlendReuse
{
    /// <summary>
    /// MERGE POINT: the engine's CacheBlend fusion reports the reused-token count on the request's final
    /// event; read it here (e.g. <c>final.Usage?.ReusedChunkTokens ?? 0</c>). Until the engine blends, every
    /// RAG prompt is fully prefilled and reuses nothing, so this is 0.
    /// </summary>
    public static int ReusedTokens(GenerationEvent final)
    {
        ArgumentNullException.ThrowIfNull(final);
        return 0;
    }
}
