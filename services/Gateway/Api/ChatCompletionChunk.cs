using System.Text.Json.Serialization;

namespace Platform.Gateway.Api;

/// <summary>One SSE event of a streamed chat completion (<c>object: "chat.completion.chunk"</c>).</summary>
public sealed record ChatCompletionChunk(string Id, long Created, string Model, IReadOnlyList<ChatChunkChoice> Choices)
{
    public string Object { get; init; } = "chat.completion.chunk";

    /// <summary>Only on the last chunk when <c>stream_options.include_usage</c> asked for it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public UsageInfo? Usage { get; init; }
}
