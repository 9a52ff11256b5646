using System.Text.Json;

namespace Platform.Tokenizers;

internal static class PostProcessorReader
{
    public static SpecialTokenTemplate Read(JsonElement? element, Func<string, int?> tokenToId, string source)
    {
        if (element is not { } e)
        {
            return SpecialTokenTemplate.None;
        }

        return e.TypeName() switch
        {
            "TemplateProcessing" => ReadTemplate(e, source),
            "RobertaProcessing" or "BertProcessing" => new SpecialTokenTemplate(
                [ReadPairId(e, "cls", tokenToId, source)], [ReadPairId(e, "sep", tokenToId, source)]),
            "ByteLevel" => SpecialTokenTemplate.None,
            "Sequence" => NormalizerReader.Items(e, "processors")
                .Aggregate(SpecialTokenTemplate.None, (inner, p) => inner.Then(Read(p, tokenToId, source))),
            var other => throw new TokenizerException(source, $"unsupported post_processor type {other}"),
        };
    }

    private static SpecialTokenTemplate ReadTemplate(JsonElement e, string source)
    {
        var prefix = new List<int>();
        var suffix = new List<int>();
        var seenSequence = false;
        foreach (var piece in NormalizerReader.Items(e, "single"))
        {
            if (piece.Property("Sequence") is not null)
            {
                seenSequence = true;
                continue;
            }

            var name = piece.Property("SpecialToken")?.StringOrNull("id")
                ?? throw new TokenizerException(source, "TemplateProcessing piece is neither Sequence nor SpecialToken");
            var ids = e.Property("special_tokens")?.Property(name)?.Property("ids")
                ?? throw new TokenizerException(source, $"TemplateProcessing special token '{name}' has no ids");
            (seenSequence ? suffix : prefix).AddRange(ids.EnumerateArray().Select(id => id.GetInt32()));
        }

        return new SpecialTokenTemplate([.. prefix], [.. suffix]);
    }

    private static int ReadPairId(JsonElement e, string name, Func<string, int?> tokenToId, string source)
    {
        // Written as ["</s>", 2]: the id is authoritative, the string documents it.
        if (e.Property(name) is { ValueKind: JsonValueKind.Array } pair && pair.GetArrayLength() == 2)
        {
            return pair[1].ValueKind == JsonValueKind.Number
                ? pair[1].GetInt32()
                : tokenToId(pair[0].GetString() ?? string.Empty) ?? throw new TokenizerException(source, $"{name} token is not in the vocab");
        }

        throw new TokenizerException(source, $"{e.TypeName()} needs a [token, id] pair for {name}");
    }
}
