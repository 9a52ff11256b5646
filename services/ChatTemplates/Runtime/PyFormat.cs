using System.Globalization;
using System.Text;

namespace Platform.ChatTemplates.Runtime;

/// <summary>Python's <c>str()</c> and <c>repr()</c>, which is how Jinja prints values.</summary>
internal static class PyFormat
{
    public static string Str(object? value) => value switch
    {
        string s => s,
        Undefined => "",
        null => "None",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => Float(d),
        LoopContext => "<LoopContext>",
        Macro m => $"<Macro '{m.Definition.Name}'>",
        Callable c => $"<function {c.Name}>",
        Namespace ns => "<Namespace " + string.Join(", ", ns.Attributes.Select(p => $"{p.Key}={Repr(p.Value)}")) + ">",
        _ => Repr(value),
    };

    public static string Repr(object? value) => value switch
    {
        string s => QuoteString(s),
        IReadOnlyList<object?> list => "[" + string.Join(", ", list.Select(Repr)) + "]",
        IReadOnlyDictionary<string, object?> map => "{" + string.Join(", ", map.Select(p => QuoteString(p.Key) + ": " + Repr(p.Value))) + "}",
        null or Undefined or bool or long or double or LoopContext or Macro or Callable or Namespace => Str(value),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    /// <summary>Python's float repr: shortest round-trip digits, always a decimal point or exponent.</summary>
    public static string Float(double value)
    {
        if (double.IsNaN(value))
        {
            return "nan";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "inf" : "-inf";
        }

        if (value == Math.Floor(value) && Math.Abs(value) < 1e16)
        {
            return ((long)value).ToString(CultureInfo.InvariantCulture) + ".0";
        }

        var text = value.ToString("R", CultureInfo.InvariantCulture);
        var e = text.IndexOf('E', StringComparison.Ordinal);
        if (e < 0)
        {
            return text;
        }

        var exponent = int.Parse(text.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        return text[..e] + "e" + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
    }

    private static string QuoteString(string s)
    {
        var quote = s.Contains('\'', StringComparison.Ordinal) && !s.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
        var result = new StringBuilder(s.Length + 2).Append(quote);
        foreach (var c in s)
        {
            switch (c)
            {
                case '\\': result.Append("\\\\"); break;
                case '\n': result.Append("\\n"); break;
                case '\r': result.Append("\\r"); break;
                case '\t': result.Append("\\t"); break;
                case var q when q == quote: result.Append('\\').Append(q); break;
                case < ' ': result.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}"); break;
                default: result.Append(c); break;
            }
        }

        return result.Append(quote).ToString();
    }
}
