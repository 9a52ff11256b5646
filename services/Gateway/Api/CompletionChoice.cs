using System.Text.Json.Serialization;

namespace Platform.Gateway.Api;

/// <summary>One choice of a text completion (or its streamed part).</summary>
public sealed record CompletionChoice(int Index, string Text)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public CompletionLogprobs? Logprobs { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? FinishReason { get; init; }
}
