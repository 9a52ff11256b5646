using System.Text.Json;

namespace Platform.Tokenizers;

internal static class PreTokenizerReader
{
    public static IPreTokenizer? Read(JsonElement? element, string source)
    {
        if (element is not { } e)
        {
            return null;
        }

        return e.TypeName() switch
        {
            "Sequence" => new SequencePreTokenizer(
                NormalizerReader.Items(e, "pretokenizers").Select(p => Read(p, source)!).ToList()),
            "Split" => new SplitPreTokenizer(
                PatternReader.ReadRegex(e, source), ReadBehavior(e, source), e.Bool("invert", false)),
            "ByteLevel" => new ByteLevelPreTokenizer(e.Bool("add_prefix_space", true), e.Bool("use_regex", true)),
            "Metaspace" => new MetaspacePreTokenizer(
                ReadReplacement(e, source), ReadPrependScheme(e, source), e.Bool("split", true)),
            "Digits" => new DigitsPreTokenizer(e.Bool("individual_digits", false)),
            var other => throw new TokenizerException(source, $"unsupported pre_tokenizer type {other}"),
        };
    }

    internal static char ReadReplacement(JsonElement e, string source) =>
        e.StringOrNull("replacement") is { Length: 1 } r
            ? r[0]
            : throw new TokenizerException(source, "Metaspace replacement must be a single character");

    internal static PrependScheme ReadPrependScheme(JsonElement e, string source)
    {
        // Files older than prepend_scheme only have add_prefix_space; false there means never.
        if (e.BoolOrNull("add_prefix_space") == false)
        {
            return PrependScheme.Never;
        }

        return e.StringOrNull("prepend_scheme") switch
        {
            null or "always" => PrependScheme.Always,
            "first" => PrependScheme.First,
            "never" => PrependScheme.Never,
            var other => throw new TokenizerException(source, $"unknown Metaspace prepend_scheme '{other}'"),
        };
    }

    private static SplitBehavior ReadBehavior(JsonElement e, string source) =>
        e.StringOrNull("behavior") switch
        {
            "Removed" => SplitBehavior.Removed,
            "Isolated" => SplitBehavior.Isolated,
            "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
            "MergedWithNext" => SplitBehavior.MergedWithNext,
            "Contiguous" => SplitBehavior.Contiguous,
            var other => throw new TokenizerException(source, $"unknown Split behavior '{other}'"),
        };
}
