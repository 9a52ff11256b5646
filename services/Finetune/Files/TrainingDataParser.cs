using System.Text;
using System.Text.Json;
using Platform.Engine.Lora.Training;
using Platform.Gateway.Api;
using Platform.Gateway.Errors;
using Platform.Gateway.Generation;
using Platform.Tokenizers;

namespace Platform.Finetune.Files;

/// <summary>
/// Reads a JSONL training file into training examples, refusing bad data with a 400 that names the line.
/// A line is either chat, <c>{"messages":[...]}</c> ending with an assistant message (rendered with the model's
/// chat template; the loss is taken on the last assistant message), or <c>{"prompt":"...","completion":"..."}</c>
/// (the prompt with the tokenizer's special tokens, then the completion and EOS; the loss on the completion).
/// </summary>
public sealed class TrainingDataParser(ChatPromptBuilder chat)
{
    private static readonly string[] Roles = ["system", "developer", "user", "assistant"];

    public IReadOnlyList<TrainingExample> Parse(byte[] content, Tokenizer tokenizer, int maxTokens)
    {
        var text = Encoding.UTF8.GetString(content);
        var examples = new List<TrainingExample>();
        int lineNumber = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.TrimEnd('\r');
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            var example = ParseLine(line, lineNumber, tokenizer);
            if (example.TokenIds.Count > maxTokens)
            {
                throw Bad(lineNumber, $"the example is {example.TokenIds.Count} tokens long, over the model's context of {maxTokens} tokens.");
            }
            if (example.TrainedTokens < 1)
            {
                throw Bad(lineNumber, "the example has no tokens to train on after its prompt (an empty completion or assistant message).");
            }
            examples.Add(example);
        }
        if (examples.Count == 0)
        {
            throw ApiException.BadRequest("The training file is empty: it must hold one JSON object per line (JSONL), each {\"messages\": [...]} or {\"prompt\": ..., \"completion\": ...}.", "file", "invalid_file");
        }
        return examples;
    }

    private TrainingExample ParseLine(string line, int n, Tokenizer tokenizer)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw Bad(n, $"invalid JSON: {e.Message}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Bad(n, $"expected a JSON object, got {root.ValueKind.ToString().ToLowerInvariant()}.");
            }
            bool chatLine = root.TryGetProperty("messages", out _);
            string[] allowed = chatLine ? ["messages"] : ["prompt", "completion"];
            foreach (var p in root.EnumerateObject())
            {
                if (!allowed.Contains(p.Name, StringComparer.Ordinal))
                {
                    throw Bad(n, $"unknown field '{p.Name}'; a line holds either 'messages' (chat) or 'prompt' and 'completion'.");
                }
            }
            return chatLine ? Chat(root.GetProperty("messages"), n, tokenizer) : PromptCompletion(root, n, tokenizer);
        }
    }

    private TrainingExample Chat(JsonElement messages, int n, Tokenizer tokenizer)
    {
        if (messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            throw Bad(n, "'messages' must be a non-empty list of messages.");
        }
        var list = new List<ChatMessageInput>();
        int i = 0;
        foreach (var m in messages.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object)
            {
                throw Bad(n, $"messages[{i}] must be an object with 'role' and 'content'.");
            }
            foreach (var p in m.EnumerateObject())
            {
                if (p.Name is not ("role" or "content" or "name"))
                {
                    throw Bad(n, $"messages[{i}] has the unknown field '{p.Name}'; a message has 'role', 'content' and optionally 'name'.");
                }
            }
            if (!m.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
            {
                throw Bad(n, $"messages[{i}] is missing 'role'.");
            }
            if (!Roles.Contains(role.GetString(), StringComparer.Ordinal))
            {
                throw Bad(n, $"messages[{i}].role '{role.GetString()}' is not one of {string.Join(", ", Roles)}.");
            }
            if (!m.TryGetProperty("content", out var content) || content.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
            {
                throw Bad(n, $"messages[{i}] is missing 'content' (a string).");
            }
            list.Add(new ChatMessageInput { Role = role.GetString(), Content = content.Clone(), Name = m.TryGetProperty("name", out var name) ? name.GetString() : null });
            i++;
        }
        if (list[^1].Role != "assistant")
        {
            throw Bad(n, "the last message must be the assistant's: it is what the model is trained to answer.");
        }
        string full, prompt;
        try
        {
            full = chat.Render(list, addGenerationPrompt: false, tools: null, tokenizer);
            prompt = list.Count > 1 ? chat.Render(list[..^1], addGenerationPrompt: true, tools: null, tokenizer) : "";
        }
        catch (ApiException e)
        {
            throw Bad(n, e.Message);
        }
        var ids = ChatPromptBuilder.Encode(full, tokenizer);
        var promptIds = prompt.Length > 0 ? ChatPromptBuilder.Encode(prompt, tokenizer) : [];
        int common = 0;
        while (common < promptIds.Length && common < ids.Length && promptIds[common] == ids[common])
        {
            common++;
        }
        return new TrainingExample(ids, Math.Max(common, 1));
    }

    private static TrainingExample PromptCompletion(JsonElement root, int n, Tokenizer tokenizer)
    {
        string Field(string name)
        {
            if (!root.TryGetProperty(name, out var v))
            {
                throw Bad(n, $"missing field '{name}'; a line holds either 'messages' (chat) or 'prompt' and 'completion'.");
            }
            return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Bad(n, $"'{name}' must be a string.");
        }
        var prompt = tokenizer.Encode(Field("prompt"), addSpecialTokens: true);
        var completion = tokenizer.Encode(Field("completion"), addSpecialTokens: false);
        int[] ids = [.. prompt, .. completion, .. tokenizer.EosTokenId is { } eos ? new[] { eos } : []];
        return new TrainingExample(ids, Math.Max(prompt.Length, 1));
    }

    private static ApiException Bad(int line, string message) =>
        ApiException.BadRequest($"Invalid training file: line {line}: {message}", "file", "invalid_file");
}
