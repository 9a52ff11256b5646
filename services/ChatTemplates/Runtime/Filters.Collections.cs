namespace Platform.ChatTemplates.Runtime;

internal static partial class Filters
{
    private static readonly Dictionary<string, Func<object?, CallArgs, object?>> CollectionFilters = new(StringComparer.Ordinal)
    {
        ["join"] = Join,
        ["first"] = (v, _) => Values.Iterate(v) is { Count: > 0 } items ? items[0] : new Undefined("first"),
        ["last"] = (v, _) => Values.Iterate(v) is { Count: > 0 } items ? items[^1] : new Undefined("last"),
        ["list"] = (v, _) => Values.Iterate(v).ToList(),
        ["items"] = Items,
        ["dictsort"] = (v, _) => ((List<object?>)Items(v, CallArgs.Empty)!).OrderBy(p => ((List<object?>)p!)[0] as string, StringComparer.OrdinalIgnoreCase).ToList(),
        ["selectattr"] = (v, a) => SelectAttribute(v, a, keep: true),
        ["rejectattr"] = (v, a) => SelectAttribute(v, a, keep: false),
        ["select"] = (v, a) => Select(v, a, keep: true),
        ["reject"] = (v, a) => Select(v, a, keep: false),
        ["map"] = Map,
        ["unique"] = Unique,
        ["reverse"] = (v, _) => v is string s ? new string(s.Reverse().ToArray()) : Values.Iterate(v).Reverse().ToList(),
        ["sort"] = Sort,
        ["sum"] = Sum,
        ["min"] = (v, a) => Sorted(v, a).FirstOrDefault(new Undefined("min")),
        ["max"] = (v, a) => Sorted(v, a).LastOrDefault(new Undefined("max")),
    };

    private static object? Join(object? value, CallArgs args)
    {
        var separator = PyFormat.Str(args.Get(0, "d", ""));
        var attribute = args.Get(1, "attribute") as string;
        var items = Values.Iterate(value).Select(item => attribute is null ? item : AttributePath(item, attribute));
        return string.Join(separator, items.Select(PyFormat.Str));
    }

    private static object? Items(object? value, CallArgs args) => value switch
    {
        IReadOnlyDictionary<string, object?> map => map.Select(p => (object?)new List<object?> { p.Key, p.Value }).ToList(),
        Undefined => new List<object?>(),
        _ => throw new TemplateFault($"items filter expects a mapping, got '{Values.TypeName(value)}'"),
    };

    /// <summary>Dotted paths ("function.name") as Jinja's attribute arguments allow, integers as list indices.</summary>
    private static object? AttributePath(object? item, string path)
    {
        foreach (var part in path.Split('.'))
        {
            item = long.TryParse(part, out var index) && item is IReadOnlyList<object?> ? Access.Item(item, index) : Access.Attribute(item, part);
        }

        return item;
    }

    private static List<object?> SelectAttribute(object? value, CallArgs args, bool keep)
    {
        var attribute = PyFormat.Str(args.Required(0, "attribute", keep ? "selectattr" : "rejectattr"));
        return Filter(value, args.Skip(1), item => AttributePath(item, attribute), keep);
    }

    private static List<object?> Select(object? value, CallArgs args, bool keep) => Filter(value, args, item => item, keep);

    private static List<object?> Filter(object? value, CallArgs testArgs, Func<object?, object?> project, bool keep)
    {
        var test = testArgs.Positional.Count > 0 ? PyFormat.Str(testArgs.Positional[0]) : null;
        var rest = testArgs.Skip(1);
        return Values.Iterate(value)
            .Where(item => (test is null ? Values.IsTruthy(project(item)) : Predicates.Test(test, project(item), rest)) == keep)
            .ToList();
    }

    private static object? Map(object? value, CallArgs args)
    {
        var items = Values.Iterate(value);
        if (args.Named.TryGetValue("attribute", out var attribute))
        {
            var path = PyFormat.Str(attribute);
            var hasDefault = args.Named.TryGetValue("default", out var fallback);
            return items.Select(item => AttributePath(item, path) is Undefined && hasDefault ? fallback : AttributePath(item, path)).ToList();
        }

        var filter = args.Positional.Count > 0 ? PyFormat.Str(args.Positional[0]) : throw new TemplateFault("map() needs a filter name or attribute=");
        var rest = args.Skip(1);
        return items.Select(item => Apply(filter, item, rest)).ToList();
    }

    private static object? Unique(object? value, CallArgs args)
    {
        var caseSensitive = Values.IsTruthy(args.Get(0, "case_sensitive", false));
        var attribute = args.Get(1, "attribute") as string;
        var seen = new List<object?>();
        var result = new List<object?>();
        foreach (var item in Values.Iterate(value))
        {
            var key = attribute is null ? item : AttributePath(item, attribute);
            key = !caseSensitive && key is string s ? s.ToLowerInvariant() : key;
            if (!seen.Any(k => Values.AreEqual(k, key)))
            {
                seen.Add(key);
                result.Add(item);
            }
        }

        return result;
    }

    private static object? Sort(object? value, CallArgs args)
    {
        var sorted = Sorted(value, args.Skip(0));
        return Values.IsTruthy(args.Get(0, "reverse", false)) ? sorted.AsEnumerable().Reverse().ToList() : sorted;
    }

    /// <summary>Sorted ascending; like Jinja, strings compare case-insensitively unless <c>case_sensitive</c>.</summary>
    private static List<object?> Sorted(object? value, CallArgs args)
    {
        var caseSensitive = Values.IsTruthy(args.Get(-1, "case_sensitive", false));
        var attribute = args.Get(-1, "attribute") as string;
        object? Key(object? item)
        {
            var key = attribute is null ? item : AttributePath(item, attribute);
            return !caseSensitive && key is string s ? s.ToLowerInvariant() : key;
        }

        var items = Values.Iterate(value).ToList();
        return items.Order(Comparer<object?>.Create((a, b) => Values.Compare(Key(a), Key(b), "<"))).ToList();
    }

    private static object? Sum(object? value, CallArgs args)
    {
        var attribute = args.Get(0, "attribute") as string;
        object? total = args.Get(1, "start", 0L);
        foreach (var item in Values.Iterate(value))
        {
            total = Operators.Binary("+", total, attribute is null ? item : AttributePath(item, attribute));
        }

        return total;
    }
}
