using Platform.Gateway.Errors;

namespace Platform.Gateway.Generation;

/// <summary>Resolves max_tokens against the context length, refusing as OpenAI does (<c>context_length_exceeded</c>).</summary>
internal static class ContextLength
{
    public const string ExceededCode = "context_length_exceeded";

    /// <param name="requested">max_tokens as sent, or null for "as many as fit".</param>
    /// <param name="promptTokens">The prompt's length in tokens.</param>
    /// <param name="maxModelLength">Longest prompt plus completion.</param>
    /// <param name="param">The request field holding the prompt (<c>messages</c> or <c>prompt</c>).</param>
    /// <param name="maxTokensParam">The field max_tokens came from.</param>
    /// <param name="defaultMaxTokens">Used when nothing was requested, capped to what fits; null fills the context.</param>
    public static int ResolveMaxTokens(int? requested, int promptTokens, int maxModelLength, string param, string maxTokensParam, int? defaultMaxTokens = null)
    {
        if (requested < 1)
        {
            throw ApiException.BadRequest($"'{maxTokensParam}' must be at least 1, got {requested}.", maxTokensParam);
        }
        if (promptTokens >= maxModelLength)
        {
            throw ApiException.BadRequest(
                $"This model's maximum context length is {maxModelLength} tokens. However, your {param} resulted in {promptTokens} tokens. Please reduce the length of the {param}.",
                param, ExceededCode);
        }
        int maxTokens = requested ?? Math.Min(defaultMaxTokens ?? int.MaxValue, maxModelLength - promptTokens);
        if ((long)promptTokens + maxTokens > maxModelLength)
        {
            throw ApiException.BadRequest(
                $"This model's maximum context length is {maxModelLength} tokens. However, you requested {(long)promptTokens + maxTokens} tokens ({promptTokens} in the {param}, {maxTokens} in the completion). Please reduce the length of the {param} or completion.",
                param, ExceededCode);
        }
        return maxTokens;
    }
}
