using System.Text.Json;

namespace Platform.Gateway.Api;

/// <summary>One message of a chat request: content is a string or a list of <c>{"type":"text","text":...}</c> parts.</summary>
public sealed record ChatMessageInput
{
    public string? Role { get; init; }
    public JsonElement? Content { get; init; }
    public string? Name { get; init; }
    public JsonElement? ToolCalls { get; init; }
    public string? ToolCallId { get; init; }
}
