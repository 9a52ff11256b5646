namespace Platform.Gateway.Api;

/// <summary>Chat <c>logprobs</c>: one entry per generated token.</summary>
public sealed record ChatLogprobs(IReadOnlyList<ChatTokenLogprob> Content);
