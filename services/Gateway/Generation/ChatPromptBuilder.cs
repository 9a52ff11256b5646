using System.Text.Json;
using Platform.ChatTemplates;
using Platform.Gateway.Api;
using Platform.Gateway.Errors;
using Platform.Tokenizers;

namespace Platform.Gateway.Generation;

/// <summary>
/// Renders chat messages with the model's own template (tokenizer_config.json or chat_template.jinja; ChatML
/// when it has none) and tokenizes the result as Hugging Face does for chat.
/// </summary>
public sealed class ChatPromptBuilder(TimeProvider time)
{
    private static readonly JsonElement Undefined = default;
    private volatile Tuple<Tokenizer, ChatTemplate>? _template;

    public int[] Build(IReadOnlyList<ChatMessageInput>? messages, bool addGenerationPrompt, JsonElement? tools, Tokenizer tokenizer) =>
        Encode(Render(messages, addGenerationPrompt, tools, tokenizer), tokenizer);

    /// <summary>
    /// The rendered prompt text; <paramref name="lastUserPrefix"/> goes in front of the last user message's content
    /// (RAG requests mark where their chunks go with it).
    /// </summary>
    public string Render(IReadOnlyList<ChatMessageInput>? messages, bool addGenerationPrompt, JsonElement? tools, Tokenizer tokenizer, string? lastUserPrefix = null)
    {
        if (messages is null || messages.Count == 0)
        {
            throw ApiException.BadRequest("'messages' must be a non-empty list of messages.", "messages");
        }
        var turns = messages.Select(ToChatMessage).ToList();
        if (lastUserPrefix is not null)
        {
            int last = turns.FindLastIndex(t => t.Role == "user");
            if (last < 0)
            {
                throw ApiException.BadRequest("'rag' needs a user message: the chunks go before the last user message's content.", "messages");
            }
            turns[last] = turns[last] with { Content = lastUserPrefix + turns[last].Content };
        }
        IReadOnlyList<object>? toolList = tools is { ValueKind: JsonValueKind.Array } t ? [.. t.EnumerateArray().Select(e => (object)e)] : null;
        string text;
        try
        {
            text = Template(tokenizer).RenderChat(turns, addGenerationPrompt, tokenizer.BosToken, tokenizer.EosToken, toolList);
        }
        catch (ChatTemplateException e)
        {
            // Templates refuse conversations they cannot express (e.g. roles not alternating) with raise_exception.
            throw ApiException.BadRequest($"The model's chat template could not render these messages: {e.Message}", "messages");
        }
        return text;
    }

    /// <summary>Tokenizes a rendered chat prompt as Hugging Face does for chat.</summary>
    public static int[] Encode(string text, Tokenizer tokenizer)
    {
        // A Llama-style template writes the BOS text itself; adding it again would give the model two.
        bool templateHasBos = tokenizer.BosToken is { Length: > 0 } bos && text.StartsWith(bos, StringComparison.Ordinal);
        return tokenizer.Encode(text, addSpecialTokens: !templateHasBos, parseSpecialTokens: true);
    }

    private ChatTemplate Template(Tokenizer tokenizer)
    {
        var cached = _template;
        if (cached is not null && ReferenceEquals(cached.Item1, tokenizer))
        {
            return cached.Item2;
        }
        var template = ChatTemplate.Parse(tokenizer.ChatTemplate ?? ChatTemplate.ChatMlTemplate, time);
        _template = Tuple.Create(tokenizer, template);
        return template;
    }

    private static ChatMessage ToChatMessage(ChatMessageInput message, int index)
    {
        var role = message.Role switch
        {
            "system" or "user" or "assistant" or "tool" => message.Role,
            // OpenAI's newer name for system instructions; model templates know only "system".
            "developer" => "system",
            _ => throw ApiException.BadRequest(
                $"Invalid value for 'messages[{index}].role': '{message.Role}'. Supported roles: system, developer, user, assistant, tool.",
                $"messages[{index}].role"),
        };
        var toolCalls = ToolCalls(message.ToolCalls, index);
        var content = Content(message.Content ?? Undefined, index);
        if (content is null && toolCalls is null)
        {
            throw ApiException.BadRequest($"'messages[{index}].content' is required for the role '{role}'.", $"messages[{index}].content");
        }
        return new ChatMessage(role, content, message.Name, toolCalls, message.ToolCallId);
    }

    private static string? Content(JsonElement content, int index)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                return null;
            case JsonValueKind.String:
                return content.GetString();
            case JsonValueKind.Array:
                var parts = new List<string>();
                foreach (var part in content.EnumerateArray())
                {
                    if (part.ValueKind != JsonValueKind.Object
                        || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "text"
                        || !part.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
                    {
                        throw ApiException.BadRequest(
                            $"'messages[{index}].content' parts must be {{\"type\": \"text\", \"text\": \"...\"}}; this model takes text only.",
                            $"messages[{index}].content");
                    }
                    parts.Add(text.GetString()!);
                }
                return string.Join('\n', parts);
            default:
                throw ApiException.BadRequest($"'messages[{index}].content' must be a string or a list of text parts.", $"messages[{index}].content");
        }
    }

    private static IReadOnlyList<IReadOnlyDictionary<string, object?>>? ToolCalls(JsonElement? calls, int index)
    {
        if (calls is not { ValueKind: JsonValueKind.Array } list)
        {
            return null;
        }
        var result = new List<IReadOnlyDictionary<string, object?>>();
        foreach (var call in list.EnumerateArray())
        {
            if (call.ValueKind != JsonValueKind.Object)
            {
                throw ApiException.BadRequest($"'messages[{index}].tool_calls' must be a list of objects.", $"messages[{index}].tool_calls");
            }
            var dict = call.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value, StringComparer.Ordinal);
            if (call.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object)
            {
                var f = function.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value, StringComparer.Ordinal);
                // OpenAI sends arguments as a JSON string; templates (Llama 3.1, Qwen2.5) expect the object.
                if (function.TryGetProperty("arguments", out var args) && args.ValueKind == JsonValueKind.String)
                {
                    f["arguments"] = TryParse(args.GetString()!) ?? (object?)args;
                }
                dict["function"] = f;
            }
            result.Add(dict);
        }
        return result;
    }

    private static JsonElement? TryParse(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
