namespace Platform.Gateway.Api;

/// <summary>The assistant's message in a chat completion choice.</summary>
public sealed record ChatResponseMessage(string Content)
{
    public string Role { get; init; } = "assistant";
}
