using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.ChatTemplates.Runtime;

/// <summary>
/// The value model: null (none), <see cref="Undefined"/>, string, bool, long, double, <c>List&lt;object?&gt;</c> and
/// <c>Dictionary&lt;string, object?&gt;</c> (insertion-ordered, as Python dicts are), plus runtime objects.
/// Python semantics for truth, equality and ordering.
/// </summary>
internal static class Values
{
    /// <summary>Converts caller data (ints, arrays, any dictionary, JSON DOM) into the canonical model.</summary>
    public static object? Normalize(object? value) => value switch
    {
        null or string or bool or long or double or Undefined or Namespace or Callable or Macro => value,
        int or short or byte or sbyte or ushort or uint => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture),
        ulong u => (long)u,
        float f => (double)f,
        decimal m => (double)m,
        char c => c.ToString(),
        Enum e => e.ToString(),
        JsonElement element => FromJson(element),
        JsonNode node => FromJson(JsonSerializer.SerializeToElement(node)),
        IReadOnlyDictionary<string, object?> map => map.ToDictionary(p => p.Key, p => Normalize(p.Value)),
        IDictionary map => NormalizeDictionary(map),
        IEnumerable sequence => sequence.Cast<object?>().Select(Normalize).ToList(),
        _ => value,
    };

    private static Dictionary<string, object?> NormalizeDictionary(IDictionary map)
    {
        var result = new Dictionary<string, object?>(map.Count);
        foreach (DictionaryEntry entry in map)
        {
            result[PyFormat.Str(Normalize(entry.Key))] = Normalize(entry.Value);
        }

        return result;
    }

    private static object? FromJson(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number => element.TryGetInt64(out var l) ? l : element.GetDouble(),
        JsonValueKind.Array => element.EnumerateArray().Select(FromJson).ToList(),
        JsonValueKind.Object => element.EnumerateObject().ToDictionary(p => p.Name, p => FromJson(p.Value)),
        _ => null,
    };

    public static bool IsTruthy(object? value) => value switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        IReadOnlyList<object?> list => list.Count > 0,
        IReadOnlyDictionary<string, object?> map => map.Count > 0,
        _ => true,
    };

    public static string TypeName(object? value) => value switch
    {
        null => "NoneType",
        Undefined => "Undefined",
        string => "str",
        bool => "bool",
        long => "int",
        double => "float",
        IReadOnlyList<object?> => "list",
        IReadOnlyDictionary<string, object?> => "dict",
        Namespace => "Namespace",
        LoopContext => "LoopContext",
        Macro => "Macro",
        Callable => "function",
        _ => value.GetType().Name,
    };

    public static bool IsNumber(object? value) => value is long or double or bool;

    public static double ToDouble(object? value) => value switch
    {
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        _ => throw new TemplateFault($"expected a number, got '{TypeName(value)}'"),
    };

    public static bool AreEqual(object? left, object? right)
    {
        if (IsNumber(left) && IsNumber(right))
        {
            return left is double || right is double ? ToDouble(left) == ToDouble(right) : ToLong(left) == ToLong(right);
        }

        return (left, right) switch
        {
            (null, null) or (Undefined, Undefined) => true,
            (string a, string b) => string.Equals(a, b, StringComparison.Ordinal),
            (IReadOnlyList<object?> a, IReadOnlyList<object?> b) => a.Count == b.Count && a.Zip(b).All(p => AreEqual(p.First, p.Second)),
            (IReadOnlyDictionary<string, object?> a, IReadOnlyDictionary<string, object?> b) =>
                a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var other) && AreEqual(p.Value, other)),
            _ => ReferenceEquals(left, right),
        };
    }

    public static int Compare(object? left, object? right, string op)
    {
        if (IsNumber(left) && IsNumber(right))
        {
            return ToDouble(left).CompareTo(ToDouble(right));
        }

        switch (left, right)
        {
            case (string a, string b):
                return string.CompareOrdinal(a, b);
            case (IReadOnlyList<object?> a, IReadOnlyList<object?> b):
                for (var i = 0; i < Math.Min(a.Count, b.Count); i++)
                {
                    if (!AreEqual(a[i], b[i]))
                    {
                        return Compare(a[i], b[i], op);
                    }
                }

                return a.Count.CompareTo(b.Count);
            default:
                throw Undefinedness(left) ?? Undefinedness(right)
                    ?? new TemplateFault($"'{op}' not supported between instances of '{TypeName(left)}' and '{TypeName(right)}'");
        }
    }

    public static long ToLong(object? value) => value switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        double d => (long)d,
        _ => throw new TemplateFault($"expected an integer, got '{TypeName(value)}'"),
    };

    /// <summary>The fault Jinja raises when an undefined value is used where a real one is needed, or null if defined.</summary>
    public static TemplateFault? Undefinedness(object? value) =>
        value is Undefined u ? new TemplateFault($"'{u.Name}' is undefined") : null;

    public static long Length(object? value) => value switch
    {
        string s => s.Length,
        IReadOnlyList<object?> list => list.Count,
        IReadOnlyDictionary<string, object?> map => map.Count,
        Namespace ns => ns.Attributes.Count,
        Undefined => 0,
        _ => throw new TemplateFault($"object of type '{TypeName(value)}' has no len()"),
    };

    /// <summary>Python iteration: a dict yields its keys, a string its characters, undefined nothing.</summary>
    public static IReadOnlyList<object?> Iterate(object? value) => value switch
    {
        IReadOnlyList<object?> list => list,
        IReadOnlyDictionary<string, object?> map => map.Keys.Cast<object?>().ToList(),
        string s => s.Select(c => (object?)c.ToString()).ToList(),
        Undefined => [],
        _ => throw new TemplateFault($"'{TypeName(value)}' object is not iterable"),
    };

    public static bool Contains(object? container, object? item) => container switch
    {
        string s when item is string part => s.Contains(part, StringComparison.Ordinal),
        string => throw new TemplateFault($"'in <string>' requires string as left operand, not {TypeName(item)}"),
        IReadOnlyList<object?> list => list.Any(x => AreEqual(x, item)),
        IReadOnlyDictionary<string, object?> map => item is string key && map.ContainsKey(key),
        Namespace ns => item is string key && ns.Attributes.ContainsKey(key),
        Undefined => false,
        _ => throw new TemplateFault($"argument of type '{TypeName(container)}' is not iterable"),
    };
}
