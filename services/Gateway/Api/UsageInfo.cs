namespace Platform.Gateway.Api;

/// <summary>OpenAI <c>usage</c>.</summary>
public sealed record UsageInfo(int PromptTokens, int CompletionTokens, PromptTokensDetails PromptTokensDetails)
{
    public int TotalTokens => PromptTokens + CompletionTokens;
}
