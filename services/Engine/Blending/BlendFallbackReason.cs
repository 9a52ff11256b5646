namespace Platform.Engine.Blending;

/// <summary>Why a request asking for a blend was fully prefilled instead (a low-cardinality metric tag).</summary>
public enum BlendFallbackReason
{
    /// <summary>Fewer cached tokens than <see cref="BlendSpec.MinCachedTokens"/>.</summary>
    TooFewCachedTokens,

    /// <summary>
    /// The model's RoPE variant cannot be re-rotated exactly (partial rotary, length-dependent scaling), or the
    /// re-rotation disagrees with the model's own rotary tables (checked once per engine).
    /// </summary>
    UnsupportedRope,

    /// <summary>A chunk's KV could not be loaded: store down, corrupted value, wrong shape.</summary>
    ChunkUnavailable,

    /// <summary>Loading the chunks' KV took longer than <see cref="BlendSpec.LoadTimeout"/>.</summary>
    LoadTimeout,
}
