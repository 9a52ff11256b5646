namespace Platform.Engine.Blending;

/// <summary>
/// What became of a request's blend, on its final event: whether the KV was blended or fully prefilled (and
/// why), how many prompt tokens reused stored KV without recompute, how many were computed at every layer,
/// and the bytes of chunk KV loaded.
/// </summary>
public sealed record BlendReport(
    bool Blended,
    BlendFallbackReason? Fallback,
    int CachedTokens,
    int ReusedTokens,
    int RecomputedTokens,
    long BytesLoaded);
