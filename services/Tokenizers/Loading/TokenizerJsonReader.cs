using System.Text.Json;

namespace Platform.Tokenizers;

/// <summary>Parses a Hugging Face tokenizer.json into its components.</summary>
internal static class TokenizerJsonReader
{
    public static TokenizerDefinition Read(string json, string source)
    {
        using var document = ParseObject(json, source);
        var root = document.RootElement;
        try
        {
            var model = BpeModelReader.Read(root.Property("model"), source);
            var added = AddedTokensReader.Read(root, source);
            int? TokenToId(string token) =>
                added.FirstOrDefault(a => a.Content == token)?.Id ?? (model.Vocab.TryGetValue(token, out var id) ? id : null);

            return new TokenizerDefinition(
                model,
                added,
                NormalizerReader.Read(root.Property("normalizer"), source),
                PreTokenizerReader.Read(root.Property("pre_tokenizer"), source),
                DecoderReader.Read(root.Property("decoder"), source),
                PostProcessorReader.Read(root.Property("post_processor"), TokenToId, source));
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or KeyNotFoundException or IndexOutOfRangeException)
        {
            // A field of the wrong JSON kind surfaces as one of these from System.Text.Json.
            throw new TokenizerException(source, $"unexpected structure: {e.Message}", e);
        }
    }

    internal static JsonDocument ParseObject(string json, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new TokenizerException(source, $"malformed JSON: {e.Message}", e);
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new TokenizerException(source, "expected a JSON object at the top level");
        }

        return document;
    }
}
