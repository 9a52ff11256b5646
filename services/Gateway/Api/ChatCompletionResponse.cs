namespace Platform.Gateway.Api;

/// <summary>A whole chat completion (<c>object: "chat.completion"</c>).</summary>
public sealed record ChatCompletionResponse(string Id, long Created, string Model, IReadOnlyList<ChatChoice> Choices, UsageInfo Usage)
{
    public string Object { get; init; } = "chat.completion";
    public string? SystemFingerprint { get; init; }
}
