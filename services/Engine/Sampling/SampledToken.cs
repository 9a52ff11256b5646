namespace Platform.Engine.Sampling;

/// <summary>A chosen token, with its log-probability and the top alternatives when they were asked for.</summary>
public sealed record SampledToken(int TokenId, float? Logprob, IReadOnlyList<TokenLogprob> TopLogprobs);

/// <summary>A candidate token and its log-probability under the model.</summary>
public sealed record TokenLogprob(int TokenId, float Logprob);
