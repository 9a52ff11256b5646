using System.Text.RegularExpressions;

namespace Platform.Tokenizers;

/// <summary>The <c>Split</c> pre-tokenizer: a string or regex pattern plus a delimiter behavior.</summary>
internal sealed class SplitPreTokenizer(Regex pattern, SplitBehavior behavior, bool invert) : IPreTokenizer
{
    public void PreTokenize(PreToken piece, List<PreToken> output)
    {
        var matches = new List<(int Start, int Length)>();
        foreach (var m in pattern.EnumerateMatches(piece.Text))
        {
            matches.Add((m.Index, m.Length));
        }

        DelimiterSplitter.Split(piece, matches, behavior, invert, output);
    }
}
