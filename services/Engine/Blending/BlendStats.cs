namespace Platform.Engine.Blending;

/// <summary>The engine's CacheBlend counters since start (reported in <see cref="Serving.EngineStats.Blend"/>).</summary>
public sealed record BlendStats(
    long Lookups,
    long Blended,
    long FallbacksTooFewCachedTokens,
    long FallbacksUnsupportedRope,
    long FallbacksChunkUnavailable,
    long FallbacksLoadTimeout,
    long TokensReused,
    long TokensRecomputed,
    long BytesLoaded)
{
    public static BlendStats Empty { get; } = new(0, 0, 0, 0, 0, 0, 0, 0, 0);

    public long Fallbacks => FallbacksTooFewCachedTokens + FallbacksUnsupportedRope + FallbacksChunkUnavailable + FallbacksLoadTimeout;

    /// <summary>Share of blended prompts' tokens computed at every layer (uncached tokens plus the recomputed share).</summary>
    public double RecomputeRatio => TokensReused + TokensRecomputed == 0 ? 0 : (double)TokensRecomputed / (TokensReused + TokensRecomputed);
}
