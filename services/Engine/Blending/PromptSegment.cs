namespace Platform.Engine.Blending;

/// <summary>
/// A run of prompt tokens [Start, Start + Length): a reused chunk when <see cref="Cached"/> is set (its KV is
/// loaded and re-positioned instead of computed), otherwise tokens that are always computed (BOS, system
/// prompt, separators, chunks that missed, the question).
/// </summary>
public sealed record PromptSegment(int Start, int Length, IChunkKvSource? Cached = null);
