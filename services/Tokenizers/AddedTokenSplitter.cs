namespace Platform.Tokenizers;

/// <summary>
/// Cuts text around occurrences of added tokens, leftmost-longest like the Hugging Face
/// implementation (an Aho-Corasick automaton there, a trie walk here: the token set is small).
/// </summary>
internal sealed class AddedTokenSplitter
{
    private readonly Node _root = new();
    private readonly bool _isEmpty;

    public AddedTokenSplitter(IEnumerable<AddedToken> tokens)
    {
        foreach (var token in tokens)
        {
            if (token.Content.Length == 0)
            {
                continue;
            }

            var node = _root;
            foreach (var c in token.Content)
            {
                node.Children ??= [];
                if (!node.Children.TryGetValue(c, out var child))
                {
                    child = new Node();
                    node.Children[c] = child;
                }

                node = child;
            }

            node.Token = token;
        }

        _isEmpty = _root.Children is null;
    }

    /// <summary>Appends the segments of <paramref name="text"/>; text segments are never empty.</summary>
    public void Split(string text, bool atTextStart, List<TextSegment> output)
    {
        if (_isEmpty)
        {
            AddText(text, 0, text.Length, atTextStart, output);
            return;
        }

        var pending = 0;
        var i = 0;
        while (i < text.Length)
        {
            var match = LongestMatchAt(text, i);
            if (match is null)
            {
                i++;
                continue;
            }

            var start = i;
            var stop = i + match.Content.Length;
            if (match.LStrip)
            {
                while (start > pending && char.IsWhiteSpace(text[start - 1]))
                {
                    start--;
                }
            }

            if (match.RStrip)
            {
                while (stop < text.Length && char.IsWhiteSpace(text[stop]))
                {
                    stop++;
                }
            }

            AddText(text, pending, start, atTextStart, output);
            output.Add(TextSegment.ForToken(match.Id));
            pending = stop;
            i = stop;
        }

        AddText(text, pending, text.Length, atTextStart, output);
    }

    private AddedToken? LongestMatchAt(string text, int start)
    {
        AddedToken? best = null;
        var node = _root;
        for (var j = start; j < text.Length; j++)
        {
            if (node.Children is null || !node.Children.TryGetValue(text[j], out node))
            {
                break;
            }

            if (node.Token is { } token && (!token.SingleWord || IsStandaloneWord(text, start, j + 1)))
            {
                best = token;
            }
        }

        return best;
    }

    private static bool IsStandaloneWord(string text, int start, int stop) =>
        (start == 0 || !IsWordChar(text[start - 1])) && (stop == text.Length || !IsWordChar(text[stop]));

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';

    private static void AddText(string text, int start, int end, bool atTextStart, List<TextSegment> output)
    {
        if (end > start)
        {
            var piece = start == 0 && end == text.Length ? text : text[start..end];
            output.Add(TextSegment.ForText(piece, atTextStart && start == 0));
        }
    }

    private sealed class Node
    {
        public Dictionary<char, Node>? Children { get; set; }

        public AddedToken? Token { get; set; }
    }
}
