using System.Text.Json;

namespace Platform.Gateway.Api;

/// <summary>The body of <c>POST /v1/completions</c>: <c>prompt</c> is a string, a token id list, or a list of either.</summary>
public sealed record CompletionRequest
{
    public string? Model { get; init; }
    public JsonElement? Prompt { get; init; }
    public bool Stream { get; init; }
    public StreamOptions? StreamOptions { get; init; }
    public int? MaxTokens { get; init; }
    public double? Temperature { get; init; }
    public double? TopP { get; init; }
    public int? TopK { get; init; }
    public long? Seed { get; init; }
    public JsonElement? Stop { get; init; }
    public int? N { get; init; }
    /// <summary>Return this many top alternatives per token (0 gives the sampled token's logprob only).</summary>
    public int? Logprobs { get; init; }
    public string? User { get; init; }
    public bool? IgnoreEos { get; init; }
    public bool? Echo { get; init; }
    public string? Suffix { get; init; }
    public int? BestOf { get; init; }
    public double? PresencePenalty { get; init; }
    public double? FrequencyPenalty { get; init; }
    public JsonElement? LogitBias { get; init; }
    /// <summary>Extension: retrieved chunks whose stored KV the prompt reuses (CacheBlend); see README "RAG requests".</summary>
    public RagExtension? Rag { get; init; }
}
