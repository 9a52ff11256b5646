using System.Text;
using System.Text.RegularExpressions;

namespace Platform.Tokenizers;

/// <summary>
/// Compiles tokenizer.json (Oniguruma) patterns with .NET's backtracking engine, which has the
/// lookaheads they use. .NET lacks possessive quantifiers (<c>?+</c>, <c>*+</c>, <c>++</c>, used by
/// GPT-4o-style patterns), so those become the equivalent atomic groups.
/// </summary>
internal static class RegexTranslator
{
    public static Regex Compile(string pattern) =>
        new(ToDotNet(pattern), RegexOptions.Compiled | RegexOptions.CultureInvariant);

    public static string ToDotNet(string pattern)
    {
        var output = new StringBuilder(pattern.Length + 16);
        var groupStarts = new Stack<int>();
        var atomStart = -1;
        var i = 0;
        while (i < pattern.Length)
        {
            var c = pattern[i];
            switch (c)
            {
                case '\\':
                    atomStart = output.Length;
                    i = CopyEscape(pattern, i, output);
                    continue;
                case '[':
                    atomStart = output.Length;
                    i = CopyClass(pattern, i, output);
                    continue;
                case '(':
                    groupStarts.Push(output.Length);
                    output.Append(c);
                    i++;
                    if (i < pattern.Length && pattern[i] == '?')
                    {
                        output.Append('?');
                        i++;
                    }

                    atomStart = -1;
                    continue;
                case ')':
                    atomStart = groupStarts.Count > 0 ? groupStarts.Pop() : -1;
                    output.Append(c);
                    i++;
                    continue;
                case '?' or '*' or '+' or '{':
                    var end = c == '{' ? pattern.IndexOf('}', i) + 1 : i + 1;
                    if (end <= 0)
                    {
                        end = i + 1;
                    }

                    output.Append(pattern, i, end - i);
                    i = end;
                    if (i < pattern.Length && pattern[i] == '+' && atomStart >= 0)
                    {
                        output.Insert(atomStart, "(?>").Append(')');
                        i++;
                    }

                    atomStart = -1;
                    continue;
                default:
                    atomStart = output.Length;
                    output.Append(c);
                    i++;
                    continue;
            }
        }

        return output.ToString();
    }

    private static int CopyEscape(string pattern, int i, StringBuilder output)
    {
        var end = Math.Min(i + 2, pattern.Length);
        if (end < pattern.Length && pattern[i + 1] is 'p' or 'P' && pattern[end] == '{')
        {
            var close = pattern.IndexOf('}', end);
            end = close < 0 ? pattern.Length : close + 1;
        }

        output.Append(pattern, i, end - i);
        return end;
    }

    private static int CopyClass(string pattern, int i, StringBuilder output)
    {
        var j = i + 1;
        if (j < pattern.Length && pattern[j] == '^')
        {
            j++;
        }

        if (j < pattern.Length && pattern[j] == ']')
        {
            j++;
        }

        while (j < pattern.Length && pattern[j] != ']')
        {
            j += pattern[j] == '\\' ? 2 : 1;
        }

        var end = Math.Min(j + 1, pattern.Length);
        output.Append(pattern, i, end - i);
        return end;
    }
}
