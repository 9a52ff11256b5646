using System.Text.Json;

namespace Platform.Tokenizers;

internal static class DecoderReader
{
    public static IDecoder? Read(JsonElement? element, string source)
    {
        if (element is not { } e)
        {
            return null;
        }

        return e.TypeName() switch
        {
            "Sequence" => new SequenceDecoder(NormalizerReader.Items(e, "decoders").Select(d => Read(d, source)!).ToList()),
            "Replace" => new ReplaceDecoder(PatternReader.ReadReplace(e, source)),
            "ByteFallback" => new ByteFallbackDecoder(),
            "Fuse" => new FuseDecoder(),
            "Strip" => new StripDecoder(ReadStripContent(e, source), e.Int("start", 0), e.Int("stop", 0)),
            "ByteLevel" => new ByteLevelDecoder(),
            "Metaspace" => new MetaspaceDecoder(
                PreTokenizerReader.ReadReplacement(e, source),
                PreTokenizerReader.ReadPrependScheme(e, source) != PrependScheme.Never),
            var other => throw new TokenizerException(source, $"unsupported decoder type {other}"),
        };
    }

    private static char ReadStripContent(JsonElement e, string source) =>
        e.StringOrNull("content") is { Length: 1 } c
            ? c[0]
            : throw new TokenizerException(source, "Strip decoder content must be a single character");
}
