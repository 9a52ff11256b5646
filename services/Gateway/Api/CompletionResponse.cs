using System.Text.Json.Serialization;

namespace Platform.Gateway.Api;

/// <summary>A text completion, whole or one streamed chunk (both <c>object: "text_completion"</c>).</summary>
public sealed record CompletionResponse(string Id, long Created, string Model, IReadOnlyList<CompletionChoice> Choices)
{
    public string Object { get; init; } = "text_completion";

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public UsageInfo? Usage { get; init; }

    public string? SystemFingerprint { get; init; }
}
