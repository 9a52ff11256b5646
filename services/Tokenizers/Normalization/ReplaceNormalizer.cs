using System.Text.RegularExpressions;

namespace Platform.Tokenizers;

/// <summary>Replaces a literal string or regex matches; shared by the Replace normalizer and decoder.</summary>
internal sealed class ReplaceNormalizer : INormalizer
{
    private readonly string? _literal;
    private readonly Regex? _regex;
    private readonly string _content;

    private ReplaceNormalizer(string? literal, Regex? regex, string content)
    {
        _literal = literal;
        _regex = regex;
        _content = content;
    }

    public static ReplaceNormalizer ForString(string pattern, string content) => new(pattern, null, content);

    public static ReplaceNormalizer ForRegex(Regex pattern, string content) => new(null, pattern, content);

    public string Normalize(string text)
    {
        if (_regex is not null)
        {
            // A literal replacement: "$1" in tokenizer.json content is not a group reference in Hugging Face either.
            return _regex.Replace(text, _ => _content);
        }

        return _literal!.Length == 0 ? text : text.Replace(_literal, _content, StringComparison.Ordinal);
    }
}
