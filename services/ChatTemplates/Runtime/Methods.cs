using System.Globalization;
using System.Text;

namespace Platform.ChatTemplates.Runtime;

/// <summary>
/// Python methods called on values (<c>content.strip()</c>, <c>tool.items()</c>, <c>d.get('k')</c>). Only
/// non-mutating ones: Hugging Face renders in Jinja's immutable sandbox, so <c>list.append</c> fails there too.
/// </summary>
internal static class Methods
{
    public static bool TryCall(object? target, string name, CallArgs args, out object? result)
    {
        result = target switch
        {
            string s => StringMethod(s, name, args),
            IReadOnlyDictionary<string, object?> map => DictMethod(map, name, args),
            LoopContext loop when name == "cycle" => loop.Cycle(args.Positional),
            _ => Missing.Value,
        };
        return result is not Missing;
    }

    private sealed class Missing
    {
        public static readonly Missing Value = new();
    }

    private static object? DictMethod(IReadOnlyDictionary<string, object?> map, string name, CallArgs args) => name switch
    {
        "items" => map.Select(p => (object?)new List<object?> { p.Key, p.Value }).ToList(),
        "keys" => map.Keys.Cast<object?>().ToList(),
        "values" => map.Values.ToList(),
        "get" => map.TryGetValue(PyFormat.Str(args.Required(0, "key", "get")), out var value) ? value : args.Get(1, "default"),
        _ => Missing.Value,
    };

    private static object? StringMethod(string s, string name, CallArgs args) => name switch
    {
        "strip" => Filters.Trim(s, args.Get(0, "chars")),
        "lstrip" => args.Get(0, "chars") is string l ? s.TrimStart(l.ToCharArray()) : s.TrimStart(),
        "rstrip" => args.Get(0, "chars") is string r ? s.TrimEnd(r.ToCharArray()) : s.TrimEnd(),
        "upper" => s.ToUpperInvariant(),
        "lower" => s.ToLowerInvariant(),
        "title" => Filters.Title(s),
        "capitalize" => Filters.Capitalize(s),
        "replace" => Filters.Replace(s, args),
        "startswith" => Affix(args, "startswith").Any(p => s.StartsWith(p, StringComparison.Ordinal)),
        "endswith" => Affix(args, "endswith").Any(p => s.EndsWith(p, StringComparison.Ordinal)),
        "split" => Split(s, args),
        "splitlines" => Filters.SplitLines(s).Cast<object?>().ToList(),
        "join" => string.Join(s, Values.Iterate(args.Required(0, "iterable", "join")).Select(PyFormat.Str)),
        "find" => (long)s.IndexOf(PyFormat.Str(args.Required(0, "sub", "find")), StringComparison.Ordinal),
        "count" => (long)CountOccurrences(s, PyFormat.Str(args.Required(0, "sub", "count"))),
        "isdigit" => s.Length > 0 && s.All(char.IsDigit),
        "isspace" => s.Length > 0 && s.All(char.IsWhiteSpace),
        "format" => Format(s, args),
        _ => Missing.Value,
    };

    private static IEnumerable<string> Affix(CallArgs args, string method) => args.Required(0, "prefix", method) switch
    {
        string one => [one],
        IReadOnlyList<object?> many => many.Select(PyFormat.Str),
        var other => throw new TemplateFault($"{method} first arg must be str or a tuple of str, not {Values.TypeName(other)}"),
    };

    private static List<object?> Split(string s, CallArgs args)
    {
        var separator = args.Get(0, "sep");
        var maxSplit = args.Get(1, "maxsplit", -1L) is long m ? m : -1;
        var count = maxSplit < 0 ? int.MaxValue : (int)maxSplit + 1;
        if (separator is null or Undefined)
        {
            // Python's whitespace split: runs of whitespace separate, empty pieces vanish, the remainder is kept as is.
            var parts = new List<object?>();
            var i = 0;
            while (true)
            {
                while (i < s.Length && char.IsWhiteSpace(s[i]))
                {
                    i++;
                }

                if (i >= s.Length)
                {
                    return parts;
                }

                if (maxSplit >= 0 && parts.Count == maxSplit)
                {
                    parts.Add(s[i..]);
                    return parts;
                }

                var start = i;
                while (i < s.Length && !char.IsWhiteSpace(s[i]))
                {
                    i++;
                }

                parts.Add(s[start..i]);
            }
        }

        var sep = PyFormat.Str(separator);
        return sep.Length == 0
            ? throw new TemplateFault("empty separator")
            : s.Split(sep, count, StringSplitOptions.None).Cast<object?>().ToList();
    }

    private static int CountOccurrences(string s, string sub)
    {
        if (sub.Length == 0)
        {
            return s.Length + 1;
        }

        var count = 0;
        for (var at = s.IndexOf(sub, StringComparison.Ordinal); at >= 0; at = s.IndexOf(sub, at + sub.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    /// <summary>Minimal <c>str.format</c>: <c>{}</c>, <c>{0}</c>, <c>{name}</c> and <c>{{</c>/<c>}}</c>; no format specs.</summary>
    private static string Format(string template, CallArgs args)
    {
        var result = new StringBuilder();
        var next = 0;
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if ((c == '{' || c == '}') && i + 1 < template.Length && template[i + 1] == c)
            {
                result.Append(c);
                i++;
                continue;
            }

            if (c != '{')
            {
                result.Append(c);
                continue;
            }

            var close = template.IndexOf('}', i);
            if (close < 0)
            {
                throw new TemplateFault("single '{' encountered in format string");
            }

            var field = template[(i + 1)..close];
            object? value = field.Length == 0 ? args.Positional.ElementAtOrDefault(next++)
                : int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? args.Positional.ElementAtOrDefault(index)
                : args.Named.GetValueOrDefault(field);
            result.Append(PyFormat.Str(value));
            i = close;
        }

        return result.ToString();
    }
}
