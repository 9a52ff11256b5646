using System.Text;
using System.Text.Json;

namespace Platform.Tokenizers;

internal static class NormalizerReader
{
    public static INormalizer? Read(JsonElement? element, string source)
    {
        if (element is not { } e)
        {
            return null;
        }

        return e.TypeName() switch
        {
            "Sequence" => new SequenceNormalizer(Items(e, "normalizers").Select(n => Read(n, source)!).ToList()),
            "Prepend" => new PrependNormalizer(e.StringOrNull("prepend") ?? string.Empty),
            "Replace" => PatternReader.ReadReplace(e, source),
            "NFC" => new UnicodeNormalizer(NormalizationForm.FormC),
            "NFD" => new UnicodeNormalizer(NormalizationForm.FormD),
            "NFKC" => new UnicodeNormalizer(NormalizationForm.FormKC),
            "NFKD" => new UnicodeNormalizer(NormalizationForm.FormKD),
            "Lowercase" => new LowercaseNormalizer(),
            "Strip" => new StripNormalizer(e.Bool("strip_left", true), e.Bool("strip_right", true)),
            var other => throw new TokenizerException(source, $"unsupported normalizer type {other}"),
        };
    }

    internal static IEnumerable<JsonElement> Items(JsonElement owner, string name) =>
        owner.Property(name) is { ValueKind: JsonValueKind.Array } array ? array.EnumerateArray() : [];
}
