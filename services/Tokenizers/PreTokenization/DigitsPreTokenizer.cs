using System.Text.RegularExpressions;

namespace Platform.Tokenizers;

internal sealed partial class DigitsPreTokenizer(bool individualDigits) : IPreTokenizer
{
    public void PreTokenize(PreToken piece, List<PreToken> output)
    {
        var regex = individualDigits ? OneDigit() : DigitRun();
        var matches = new List<(int Start, int Length)>();
        foreach (var m in regex.EnumerateMatches(piece.Text))
        {
            matches.Add((m.Index, m.Length));
        }

        DelimiterSplitter.Split(piece, matches, SplitBehavior.Isolated, invert: false, output);
    }

    [GeneratedRegex(@"\p{Nd}")]
    private static partial Regex OneDigit();

    [GeneratedRegex(@"\p{Nd}+")]
    private static partial Regex DigitRun();
}
