using System.Text.Json;

namespace Platform.Gateway.Api;

/// <summary>The body of <c>POST /v1/chat/completions</c>; fields the engine cannot honour are refused, unknown ones ignored.</summary>
public sealed record ChatCompletionRequest
{
    public string? Model { get; init; }
    public IReadOnlyList<ChatMessageInput>? Messages { get; init; }
    public bool Stream { get; init; }
    public StreamOptions? StreamOptions { get; init; }
    public int? MaxTokens { get; init; }
    public int? MaxCompletionTokens { get; init; }
    public double? Temperature { get; init; }
    public double? TopP { get; init; }
    /// <summary>Extension (vLLM): keep the k most likely tokens; 0 or -1 disables.</summary>
    public int? TopK { get; init; }
    public long? Seed { get; init; }
    public JsonElement? Stop { get; init; }
    public int? N { get; init; }
    public bool? Logprobs { get; init; }
    public int? TopLogprobs { get; init; }
    public string? User { get; init; }
    /// <summary>Extension (vLLM): keep generating past end-of-sequence tokens.</summary>
    public bool? IgnoreEos { get; init; }
    /// <summary>Extension (vLLM): end the rendered prompt with the assistant turn's header (default true).</summary>
    public bool? AddGenerationPrompt { get; init; }
    public JsonElement? Tools { get; init; }
    public double? PresencePenalty { get; init; }
    public double? FrequencyPenalty { get; init; }
    public JsonElement? LogitBias { get; init; }
    public JsonElement? ResponseFormat { get; init; }
    /// <summary>Extension: retrieved chunks whose stored KV the prompt reuses (CacheBlend); see README "RAG requests".</summary>
    public RagExtension? Rag { get; init; }
}
