namespace Platform.Gateway.Api;

/// <summary>Legacy completions <c>logprobs</c>: parallel lists, one entry per generated token.</summary>
public sealed record CompletionLogprobs(
    IReadOnlyList<string> Tokens,
    IReadOnlyList<float?> TokenLogprobs,
    IReadOnlyList<IReadOnlyDictionary<string, float>?> TopLogprobs,
    IReadOnlyList<int> TextOffset);
