namespace Platform.Gateway.Api;

/// <summary>An alternative token at one position.</summary>
public sealed record ChatTopLogprob(string Token, float Logprob, IReadOnlyList<int> Bytes);
