namespace Platform.Engine.Serving;

/// <summary>
/// Finds stop strings in streamed text without ever emitting part of one: text that could still become
/// a stop string is held back until it cannot. The stop string itself is not emitted (OpenAI semantics).
/// </summary>
public sealed class StopStringMatcher
{
    private readonly IReadOnlyList<string> _stops;
    private string _pending = "";

    public StopStringMatcher(IReadOnlyList<string> stops)
    {
        _stops = stops;
    }

    /// <summary>The stop string that matched, once one has.</summary>
    public string? Matched { get; private set; }

    /// <summary>Adds new text; returns what can be emitted now. After a match, returns the text before it.</summary>
    public string Add(string delta)
    {
        if (Matched is not null)
        {
            return "";
        }
        if (_stops.Count == 0)
        {
            return delta;
        }
        var text = _pending + delta;
        int first = -1;
        foreach (var stop in _stops)
        {
            int at = text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (first < 0 || at < first))
            {
                first = at;
                Matched = stop;
            }
        }
        if (first >= 0)
        {
            // Earliest occurrence wins; among stops starting there, the first listed.
            Matched = _stops.Where(s => text.AsSpan(first).StartsWith(s, StringComparison.Ordinal)).First();
            _pending = "";
            return text[..first];
        }
        int hold = HeldSuffixLength(text);
        _pending = text[^hold..];
        return text[..^hold];
    }

    /// <summary>The held-back text, at the end of a request that did not stop on a string.</summary>
    public string Flush()
    {
        var rest = Matched is null ? _pending : "";
        _pending = "";
        return rest;
    }

    /// <summary>Longest suffix of <paramref name="text"/> that is a proper prefix of some stop string.</summary>
    private int HeldSuffixLength(string text)
    {
        int best = 0;
        foreach (var stop in _stops)
        {
            for (int len = Math.Min(stop.Length - 1, text.Length); len > best; len--)
            {
                if (text.AsSpan(text.Length - len).SequenceEqual(stop.AsSpan(0, len)))
                {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }
}
