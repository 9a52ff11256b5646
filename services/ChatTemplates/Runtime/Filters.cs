using System.Globalization;

namespace Platform.ChatTemplates.Runtime;

/// <summary>The filters chat templates use; collection filters are in Filters.Collections.cs.</summary>
internal static partial class Filters
{
    private static readonly Dictionary<string, Func<object?, CallArgs, object?>> All = new(StringComparer.Ordinal)
    {
        ["trim"] = (v, a) => Trim(Text(v, "trim"), a.Get(0, "chars")),
        ["upper"] = (v, _) => Text(v, "upper").ToUpperInvariant(),
        ["lower"] = (v, _) => Text(v, "lower").ToLowerInvariant(),
        ["capitalize"] = (v, _) => Capitalize(Text(v, "capitalize")),
        ["title"] = (v, _) => Title(Text(v, "title")),
        ["string"] = (v, _) => PyFormat.Str(v),
        ["safe"] = (v, _) => v,
        ["escape"] = (v, _) => Escape(PyFormat.Str(v)),
        ["e"] = (v, _) => Escape(PyFormat.Str(v)),
        ["tojson"] = (v, a) => Json.Serialize(v, a),
        ["length"] = (v, _) => Values.Length(v),
        ["count"] = (v, _) => Values.Length(v),
        ["default"] = Default,
        ["d"] = Default,
        ["replace"] = (v, a) => Replace(Text(v, "replace"), a),
        ["indent"] = Indent,
        ["int"] = ToInt,
        ["float"] = ToFloat,
        ["abs"] = (v, _) => v is double d ? Math.Abs(d) : (object)Math.Abs(Values.ToLong(v)),
        ["round"] = Round,
        ["wordcount"] = (v, _) => (long)Text(v, "wordcount").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length,
    };

    public static bool IsKnown(string name) => All.ContainsKey(name) || CollectionFilters.ContainsKey(name);

    public static object? Apply(string name, object? value, CallArgs args)
    {
        if (All.TryGetValue(name, out var filter) || CollectionFilters.TryGetValue(name, out filter))
        {
            return filter(value, args);
        }

        throw new TemplateFault($"unknown filter '{name}'", ChatTemplateErrorKind.Syntax);
    }

    /// <summary>String filters coerce like Jinja's do (<c>soft_str</c>), but an undefined input is an error worth naming.</summary>
    private static string Text(object? value, string filter) =>
        value is Undefined u ? throw new TemplateFault($"'{u.Name}' is undefined (in filter '{filter}')") : PyFormat.Str(value);

    internal static string Trim(string text, object? chars) =>
        chars is string set ? text.Trim(set.ToCharArray()) : text.Trim();

    internal static string Capitalize(string text) =>
        text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..].ToLowerInvariant();

    /// <summary>Python's <c>str.title</c>: a letter after a non-letter is upper-cased, every other letter lower-cased.</summary>
    internal static string Title(string text)
    {
        var chars = text.ToCharArray();
        var previousIsLetter = false;
        for (var i = 0; i < chars.Length; i++)
        {
            var isLetter = char.IsLetter(chars[i]);
            chars[i] = isLetter && !previousIsLetter ? char.ToUpperInvariant(chars[i]) : char.ToLowerInvariant(chars[i]);
            previousIsLetter = isLetter;
        }

        return new string(chars);
    }

    internal static string Replace(string text, CallArgs args)
    {
        var old = PyFormat.Str(args.Required(0, "old", "replace"));
        var replacement = PyFormat.Str(args.Required(1, "new", "replace"));
        var count = args.Get(2, "count") is { } c and not Undefined ? Values.ToLong(c) : -1;
        if (count < 0)
        {
            return old.Length == 0 ? string.Join(replacement, text.Select(ch => ch.ToString()).Prepend("").Append("")) : text.Replace(old, replacement, StringComparison.Ordinal);
        }

        var result = text;
        var at = 0;
        for (var n = 0; n < count && old.Length > 0; n++)
        {
            var found = result.IndexOf(old, at, StringComparison.Ordinal);
            if (found < 0)
            {
                break;
            }

            result = string.Concat(result.AsSpan(0, found), replacement, result.AsSpan(found + old.Length));
            at = found + replacement.Length;
        }

        return result;
    }

    private static object? Default(object? value, CallArgs args)
    {
        var fallback = args.Get(0, "default_value", "");
        var boolean = Values.IsTruthy(args.Get(1, "boolean", false));
        return value is Undefined || (boolean && !Values.IsTruthy(value)) ? fallback : value;
    }

    /// <summary>Jinja 3's indent: every line but the first (unless <c>first</c>), blank lines only with <c>blank</c>.</summary>
    private static object? Indent(object? value, CallArgs args)
    {
        var width = args.Get(0, "width", 4L);
        var indentation = width is string s ? s : new string(' ', (int)Values.ToLong(width));
        var first = Values.IsTruthy(args.Get(1, "first", false));
        var blank = Values.IsTruthy(args.Get(2, "blank", false));
        var lines = SplitLines(Text(value, "indent") + "\n");
        string result;
        if (blank)
        {
            result = string.Join("\n" + indentation, lines);
        }
        else
        {
            result = lines[0];
            if (lines.Count > 1)
            {
                result += "\n" + string.Join("\n", lines.Skip(1).Select(line => line.Length > 0 ? indentation + line : line));
            }
        }

        return first ? indentation + result : result;
    }

    /// <summary>Python's <c>str.splitlines()</c> for \n, \r\n and \r (no trailing empty element).</summary>
    internal static List<string> SplitLines(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        return lines;
    }

    private static object? ToInt(object? value, CallArgs args)
    {
        var fallback = args.Get(0, "default", 0L);
        return value switch
        {
            long or bool => Values.ToLong(value),
            double d => (long)Math.Truncate(d),
            string s when long.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => l,
            string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => (long)Math.Truncate(d),
            _ => fallback,
        };
    }

    private static object? ToFloat(object? value, CallArgs args)
    {
        var fallback = args.Get(0, "default", 0.0);
        return value switch
        {
            long or bool or double => Values.ToDouble(value),
            string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            _ => fallback,
        };
    }

    private static object? Round(object? value, CallArgs args)
    {
        var precision = (int)Values.ToLong(args.Get(0, "precision", 0L));
        var method = PyFormat.Str(args.Get(1, "method", "common"));
        var number = Values.ToDouble(value);
        var scale = Math.Pow(10, precision);
        return method switch
        {
            "common" => Math.Round(number, precision, MidpointRounding.AwayFromZero),
            "ceil" => Math.Ceiling(number * scale) / scale,
            "floor" => Math.Floor(number * scale) / scale,
            _ => throw new TemplateFault("round method must be 'common', 'ceil' or 'floor'"),
        };
    }

    private static string Escape(string text) => text
        .Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&#34;", StringComparison.Ordinal)
        .Replace("'", "&#39;", StringComparison.Ordinal);
}
