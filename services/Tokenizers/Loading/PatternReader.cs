using System.Text.Json;
using System.Text.RegularExpressions;

namespace Platform.Tokenizers;

/// <summary>Reads the <c>{"String": ...}</c> / <c>{"Regex": ...}</c> pattern objects of Replace and Split.</summary>
internal static class PatternReader
{
    public static Regex ReadRegex(JsonElement owner, string source)
    {
        var pattern = owner.Property("pattern");
        if (pattern?.StringOrNull("String") is { } literal)
        {
            return new Regex(Regex.Escape(literal), RegexOptions.CultureInvariant);
        }

        if (pattern?.StringOrNull("Regex") is { } regex)
        {
            try
            {
                return RegexTranslator.Compile(regex);
            }
            catch (ArgumentException e)
            {
                throw new TokenizerException(source, $"{owner.TypeName()} regex '{regex}' does not compile: {e.Message}", e);
            }
        }

        throw new TokenizerException(source, $"{owner.TypeName()} needs a pattern with a String or Regex field");
    }

    public static ReplaceNormalizer ReadReplace(JsonElement owner, string source)
    {
        var content = owner.StringOrNull("content") ?? string.Empty;
        return owner.Property("pattern")?.StringOrNull("String") is { } literal
            ? ReplaceNormalizer.ForString(literal, content)
            : ReplaceNormalizer.ForRegex(ReadRegex(owner, source), content);
    }
}
