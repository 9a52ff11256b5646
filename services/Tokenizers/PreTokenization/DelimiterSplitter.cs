namespace Platform.Tokenizers;

/// <summary>Turns delimiter matches into pieces the way Hugging Face's <c>NormalizedString::split</c> does.</summary>
internal static class DelimiterSplitter
{
    public static void Split(
        PreToken piece,
        List<(int Start, int Length)> matches,
        SplitBehavior behavior,
        bool invert,
        List<PreToken> output)
    {
        var text = piece.Text;
        var spans = new List<(int Start, int End, bool IsMatch)>(matches.Count * 2 + 1);
        var position = 0;
        foreach (var (start, length) in matches)
        {
            if (length == 0)
            {
                continue;
            }

            if (start > position)
            {
                spans.Add((position, start, invert));
            }

            spans.Add((start, start + length, !invert));
            position = start + length;
        }

        if (position < text.Length)
        {
            spans.Add((position, text.Length, invert));
        }

        foreach (var (start, end) in Apply(spans, behavior))
        {
            if (end > start)
            {
                var sub = start == 0 && end == text.Length ? text : text[start..end];
                output.Add(new PreToken(sub, piece.AtTextStart && start == 0));
            }
        }
    }

    private static List<(int Start, int End)> Apply(List<(int Start, int End, bool IsMatch)> spans, SplitBehavior behavior)
    {
        var result = new List<(int Start, int End)>(spans.Count);
        switch (behavior)
        {
            case SplitBehavior.Isolated:
            case SplitBehavior.Removed:
                foreach (var s in spans)
                {
                    if (behavior == SplitBehavior.Isolated || !s.IsMatch)
                    {
                        result.Add((s.Start, s.End));
                    }
                }

                break;
            case SplitBehavior.MergedWithPrevious:
                var previousMatch = false;
                foreach (var s in spans)
                {
                    if (s.IsMatch && !previousMatch && result.Count > 0)
                    {
                        result[^1] = (result[^1].Start, s.End);
                    }
                    else
                    {
                        result.Add((s.Start, s.End));
                    }

                    previousMatch = s.IsMatch;
                }

                break;
            case SplitBehavior.MergedWithNext:
                var nextMatch = false;
                for (var i = spans.Count - 1; i >= 0; i--)
                {
                    var s = spans[i];
                    if (s.IsMatch && !nextMatch && result.Count > 0)
                    {
                        result[^1] = (s.Start, result[^1].End);
                    }
                    else
                    {
                        result.Add((s.Start, s.End));
                    }

                    nextMatch = s.IsMatch;
                }

                result.Reverse();
                break;
            case SplitBehavior.Contiguous:
                var lastMatch = false;
                foreach (var s in spans)
                {
                    if (s.IsMatch && lastMatch)
                    {
                        result[^1] = (result[^1].Start, s.End);
                    }
                    else
                    {
                        result.Add((s.Start, s.End));
                    }

                    lastMatch = s.IsMatch;
                }

                break;
        }

        return result;
    }
}
