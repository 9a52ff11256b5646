using System.Text.RegularExpressions;

namespace Platform.Tokenizers;

/// <summary>GPT-2's pre-tokenizer: optional prefix space, optional GPT-2 regex split, then the byte-level alphabet.</summary>
internal sealed partial class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : IPreTokenizer
{
    public void PreTokenize(PreToken piece, List<PreToken> output)
    {
        var text = addPrefixSpace && !piece.Text.StartsWith(' ') ? " " + piece.Text : piece.Text;
        if (!useRegex)
        {
            output.Add(new PreToken(ByteLevelAlphabet.Encode(text), piece.AtTextStart));
            return;
        }

        var first = true;
        foreach (var m in Gpt2Pattern().EnumerateMatches(text))
        {
            if (m.Length > 0)
            {
                output.Add(new PreToken(ByteLevelAlphabet.Encode(text.Substring(m.Index, m.Length)), piece.AtTextStart && first));
                first = false;
            }
        }
    }

    // Every character is matched by one alternative (the last is \s+), so Isolated splitting reduces to the matches.
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    private static partial Regex Gpt2Pattern();
}
