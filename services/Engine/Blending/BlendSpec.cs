namespace Platform.Engine.Blending;

/// <summary>
/// How to build a RAG prompt's KV with CacheBlend: the prompt's segments in order (covering every prompt
/// token exactly once) and the share of cached tokens to recompute. Ratio 1.0 recomputes every token and
/// equals a full prefill; 0 reuses chunk KV as it is (full reuse, the baseline CacheBlend beats).
/// </summary>
public sealed record BlendSpec(IReadOnlyList<PromptSegment> Segments)
{
    public const double DefaultRecomputeRatio = 0.15;

    /// <summary>Share r of cached tokens recomputed after the check layer, in [0, 1].</summary>
    public double RecomputeRatio { get; init; } = DefaultRecomputeRatio;

    /// <summary>Below this many cached tokens a blend is not worth it and the prompt is fully prefilled.</summary>
    public int MinCachedTokens { get; init; } = 256;

    /// <summary>Longest wait for the chunks' KV (all layers, from the start of the blend) before a full prefill.</summary>
    public TimeSpan LoadTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
