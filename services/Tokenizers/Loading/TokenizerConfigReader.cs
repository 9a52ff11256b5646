using System.Text.Json;

namespace Platform.Tokenizers;

internal static class TokenizerConfigReader
{
    public static TokenizerConfig Read(string json, string source)
    {
        using var document = TokenizerJsonReader.ParseObject(json, source);
        var root = document.RootElement;
        return new TokenizerConfig(
            root.BoolOrNull("add_bos_token"),
            root.BoolOrNull("add_eos_token"),
            TokenContent(root, "bos_token"),
            TokenContent(root, "eos_token"),
            ChatTemplate(root));
    }

    /// <summary>generation_config.json's eos_token_id: one id or a list (Llama 3 instruct stops on several).</summary>
    public static IReadOnlyList<int> ReadGenerationEosIds(string json, string source)
    {
        using var document = TokenizerJsonReader.ParseObject(json, source);
        return document.RootElement.Property("eos_token_id") switch
        {
            { ValueKind: JsonValueKind.Number } one => [one.GetInt32()],
            { ValueKind: JsonValueKind.Array } many => many.EnumerateArray()
                .Where(x => x.ValueKind == JsonValueKind.Number).Select(x => x.GetInt32()).ToList(),
            _ => [],
        };
    }

    // Written either as "<s>" or as a serialized AddedToken {"content": "<s>", ...}.
    private static string? TokenContent(JsonElement root, string name) =>
        root.Property(name) switch
        {
            { ValueKind: JsonValueKind.String } s => s.GetString(),
            { ValueKind: JsonValueKind.Object } o => o.StringOrNull("content"),
            _ => null,
        };

    // Either one template or a list of named ones, of which "default" is the chat template.
    private static string? ChatTemplate(JsonElement root) =>
        root.Property("chat_template") switch
        {
            { ValueKind: JsonValueKind.String } s => s.GetString(),
            { ValueKind: JsonValueKind.Array } list => list.EnumerateArray()
                .Where(t => t.StringOrNull("name") == "default")
                .Select(t => t.StringOrNull("template"))
                .FirstOrDefault(),
            _ => null,
        };
}
