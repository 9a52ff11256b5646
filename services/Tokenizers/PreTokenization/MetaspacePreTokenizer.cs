namespace Platform.Tokenizers;

/// <summary>SentencePiece's space handling as a pre-tokenizer: spaces become "▁", optionally prepended, then split.</summary>
internal sealed class MetaspacePreTokenizer(char replacement, PrependScheme scheme, bool split) : IPreTokenizer
{
    public void PreTokenize(PreToken piece, List<PreToken> output)
    {
        var text = piece.Text.Replace(' ', replacement);
        var prepend = scheme == PrependScheme.Always || (scheme == PrependScheme.First && piece.AtTextStart);
        if (prepend && !text.StartsWith(replacement))
        {
            text = replacement + text;
        }

        var rewritten = piece with { Text = text };
        if (!split)
        {
            output.Add(rewritten);
            return;
        }

        var matches = new List<(int Start, int Length)>();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == replacement)
            {
                matches.Add((i, 1));
            }
        }

        DelimiterSplitter.Split(rewritten, matches, SplitBehavior.MergedWithNext, invert: false, output);
    }
}
