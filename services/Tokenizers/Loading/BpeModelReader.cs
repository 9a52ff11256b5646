using System.Text.Json;

namespace Platform.Tokenizers;

internal static class BpeModelReader
{
    public static BpeModel Read(JsonElement? element, string source)
    {
        if (element is not { } model)
        {
            throw new TokenizerException(source, "the model section is missing");
        }

        // Files written before "type" existed are recognised by their merges, as Hugging Face does.
        var type = model.StringOrNull("type") ?? (model.Property("merges") is not null ? "BPE" : "(no type)");
        if (type != "BPE")
        {
            throw new TokenizerException(source, $"unsupported tokenizer model type {type}");
        }

        if (!string.IsNullOrEmpty(model.StringOrNull("continuing_subword_prefix"))
            || !string.IsNullOrEmpty(model.StringOrNull("end_of_word_suffix")))
        {
            throw new TokenizerException(source, "BPE continuing_subword_prefix/end_of_word_suffix are not supported");
        }

        var vocab = ReadVocab(model, source);
        var merges = ReadMerges(model, vocab, source);
        var options = new BpeOptions(
            model.StringOrNull("unk_token"),
            model.Bool("fuse_unk", false),
            model.Bool("byte_fallback", false),
            model.Bool("ignore_merges", false));
        return new BpeModel(vocab, merges, options, source);
    }

    private static Dictionary<string, int> ReadVocab(JsonElement model, string source)
    {
        if (model.Property("vocab") is not { ValueKind: JsonValueKind.Object } vocabJson)
        {
            throw new TokenizerException(source, "model.vocab is missing or not an object of token to id");
        }

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocabJson.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out var id) || id < 0)
            {
                throw new TokenizerException(source, $"model.vocab entry '{entry.Name}' has no valid id");
            }

            vocab[entry.Name] = id;
        }

        if (vocab.Count == 0)
        {
            throw new TokenizerException(source, "model.vocab is empty");
        }

        return vocab;
    }

    private static Dictionary<long, (int Rank, int NewId)> ReadMerges(JsonElement model, Dictionary<string, int> vocab, string source)
    {
        var merges = new Dictionary<long, (int Rank, int NewId)>();
        var rank = 0;
        foreach (var merge in NormalizerReader.Items(model, "merges"))
        {
            var (left, right) = SplitMerge(merge, source);
            if (!vocab.TryGetValue(left, out var leftId) || !vocab.TryGetValue(right, out var rightId))
            {
                throw new TokenizerException(source, $"merge '{left} {right}' uses a token that is not in the vocab");
            }

            if (!vocab.TryGetValue(left + right, out var newId))
            {
                throw new TokenizerException(source, $"merge '{left} {right}' produces '{left + right}', which is not in the vocab");
            }

            merges[BpeWordMerger.Key(leftId, rightId)] = (rank++, newId);
        }

        return merges;
    }

    // Two spellings exist: "a b" (older files) and ["a", "b"] (newer, which allows spaces inside tokens).
    private static (string Left, string Right) SplitMerge(JsonElement merge, string source)
    {
        if (merge.ValueKind == JsonValueKind.String)
        {
            var text = merge.GetString()!;
            var space = text.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0 && space < text.Length - 1)
            {
                return (text[..space], text[(space + 1)..]);
            }
        }
        else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
            && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String)
        {
            return (merge[0].GetString()!, merge[1].GetString()!);
        }

        throw new TokenizerException(source, $"merge {merge.GetRawText()} is neither \"a b\" nor [\"a\", \"b\"]");
    }
}
