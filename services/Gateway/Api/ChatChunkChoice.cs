using System.Text.Json.Serialization;

namespace Platform.Gateway.Api;

/// <summary>One choice's news in a streamed chat chunk.</summary>
public sealed record ChatChunkChoice(int Index, ChatDelta Delta)
{
    public ChatLogprobs? Logprobs { get; init; }

    /// <summary>Null until the choice's last chunk (written as null, as OpenAI does).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? FinishReason { get; init; }
}
