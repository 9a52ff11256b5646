namespace Platform.Gateway.Api;

/// <summary><c>usage.prompt_tokens_details</c>: prompt tokens whose KV came from the prefix cache.</summary>
public sealed record PromptTokensDetails(int CachedTokens);
