namespace Platform.ChatTemplates;

/// <summary>
/// One turn of a conversation as chat templates see it. Optional fields become dictionary keys only when set,
/// because templates test presence (Llama 3.1 checks <c>'tool_calls' in message</c>).
/// </summary>
/// <param name="Role">system, user, assistant, tool, ...</param>
/// <param name="Content">The text; null for an assistant turn that only calls tools (renders as none).</param>
/// <param name="Name">Optional participant or tool name.</param>
/// <param name="ToolCalls">OpenAI-shaped calls: <c>{"id": ..., "type": "function", "function": {"name": ..., "arguments": {...}}}</c>.</param>
/// <param name="ToolCallId">For a tool result, the id of the call it answers.</param>
public sealed record ChatMessage(
    string Role,
    string? Content,
    string? Name = null,
    IReadOnlyList<IReadOnlyDictionary<string, object?>>? ToolCalls = null,
    string? ToolCallId = null)
{
    internal Dictionary<string, object?> ToTemplateValue()
    {
        var value = new Dictionary<string, object?> { ["role"] = Role, ["content"] = Content };
        if (Name is not null)
        {
            value["name"] = Name;
        }

        if (ToolCalls is not null)
        {
            value["tool_calls"] = ToolCalls;
        }

        if (ToolCallId is not null)
        {
            value["tool_call_id"] = ToolCallId;
        }

        return value;
    }
}
