using Platform.Engine.Sampling;

namespace Platform.Engine.Serving;

/// <summary>A finished request: its tokens, text, why it ended and its usage.</summary>
public sealed record GenerationResult(
    string RequestId,
    IReadOnlyList<int> TokenIds,
    string Text,
    FinishReason Finish,
    Usage Usage,
    IReadOnlyList<SampledToken> Tokens,
    string? Error,
    string? StopReason);
