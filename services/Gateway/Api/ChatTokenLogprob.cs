namespace Platform.Gateway.Api;

/// <summary>A generated token, its log-probability, its UTF-8 bytes and the most likely alternatives.</summary>
public sealed record ChatTokenLogprob(string Token, float Logprob, IReadOnlyList<int> Bytes, IReadOnlyList<ChatTopLogprob> TopLogprobs);
