using System.Text.Json;
using Platform.Gateway.Errors;
using Platform.Tokenizers;

namespace Platform.Gateway.Generation;

/// <summary>The prompts of a completions request: a string, a token id list, or a list of either.</summary>
internal static class CompletionPrompts
{
    public const int MaxPrompts = 64;

    public static IReadOnlyList<int[]> Parse(JsonElement? prompt, Tokenizer tokenizer)
    {
        const string Shape = "'prompt' must be a string, a list of token ids, or a list of strings or of token id lists.";
        switch (prompt?.ValueKind)
        {
            case JsonValueKind.String:
                return [Encode(prompt.Value.GetString()!, tokenizer)];
            case JsonValueKind.Array when prompt.Value.GetArrayLength() > 0:
                var items = prompt.Value.EnumerateArray().ToList();
                if (items.All(i => i.ValueKind == JsonValueKind.Number))
                {
                    return [TokenIds(prompt.Value)];
                }
                if (items.Count > MaxPrompts)
                {
                    throw ApiException.BadRequest($"At most {MaxPrompts} prompts are accepted per request, got {items.Count}.", "prompt");
                }
                return [.. items.Select(i => i.ValueKind switch
                {
                    JsonValueKind.String => Encode(i.GetString()!, tokenizer),
                    JsonValueKind.Array when i.GetArrayLength() > 0 => TokenIds(i),
                    _ => throw ApiException.BadRequest(Shape, "prompt"),
                })];
            case null or JsonValueKind.Undefined or JsonValueKind.Null:
                throw ApiException.BadRequest("'prompt' is required.", "prompt");
            default:
                throw ApiException.BadRequest(Shape, "prompt");
        }
    }

    // As vLLM and Hugging Face do for completions: the tokenizer's special tokens (BOS) are added.
    private static int[] Encode(string text, Tokenizer tokenizer) => tokenizer.Encode(text, addSpecialTokens: true, parseSpecialTokens: true);

    private static int[] TokenIds(JsonElement list)
    {
        var ids = new int[list.GetArrayLength()];
        int i = 0;
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out ids[i++]))
            {
                throw ApiException.BadRequest("Token ids in 'prompt' must be integers.", "prompt");
            }
        }
        return ids;
    }
}
