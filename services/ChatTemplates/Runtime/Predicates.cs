namespace Platform.ChatTemplates.Runtime;

/// <summary>Jinja tests: the right-hand side of <c>x is defined</c>, <c>x is not none</c>, <c>selectattr(..., "equalto", ...)</c>.</summary>
internal static class Predicates
{
    private static readonly Dictionary<string, Func<object?, CallArgs, bool>> Tests = new(StringComparer.Ordinal)
    {
        ["defined"] = (v, _) => v is not Undefined,
        ["undefined"] = (v, _) => v is Undefined,
        ["none"] = (v, _) => v is null,
        ["string"] = (v, _) => v is string,
        ["mapping"] = (v, _) => v is IReadOnlyDictionary<string, object?>,
        ["iterable"] = (v, _) => v is string or IReadOnlyList<object?> or IReadOnlyDictionary<string, object?>,
        ["sequence"] = (v, _) => v is string or IReadOnlyList<object?> or IReadOnlyDictionary<string, object?>,
        ["number"] = (v, _) => Values.IsNumber(v),
        ["integer"] = (v, _) => v is long,
        ["float"] = (v, _) => v is double,
        ["boolean"] = (v, _) => v is bool,
        ["true"] = (v, _) => v is true,
        ["false"] = (v, _) => v is false,
        ["callable"] = (v, _) => v is Macro or Callable,
        ["lower"] = (v, _) => v is string s && s == s.ToLowerInvariant(),
        ["upper"] = (v, _) => v is string s && s == s.ToUpperInvariant(),
        ["even"] = (v, _) => Values.ToLong(v) % 2 == 0,
        ["odd"] = (v, _) => Values.ToLong(v) % 2 != 0,
        ["divisibleby"] = (v, a) => Values.ToLong(v) % Values.ToLong(a.Required(0, "num", "divisibleby")) == 0,
        ["equalto"] = (v, a) => Values.AreEqual(v, a.Required(0, "other", "equalto")),
        ["ne"] = (v, a) => !Values.AreEqual(v, a.Required(0, "other", "ne")),
        ["lt"] = (v, a) => Values.Compare(v, a.Required(0, "other", "lt"), "<") < 0,
        ["le"] = (v, a) => Values.Compare(v, a.Required(0, "other", "le"), "<=") <= 0,
        ["gt"] = (v, a) => Values.Compare(v, a.Required(0, "other", "gt"), ">") > 0,
        ["ge"] = (v, a) => Values.Compare(v, a.Required(0, "other", "ge"), ">=") >= 0,
        ["in"] = (v, a) => Values.Contains(a.Required(0, "seq", "in"), v),
        ["sameas"] = (v, a) => SameAs(v, a.Required(0, "other", "sameas")),
    };

    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["eq"] = "equalto", ["=="] = "equalto", ["!="] = "ne", ["<"] = "lt", ["<="] = "le", [">"] = "gt",
        [">="] = "ge", ["greaterthan"] = "gt", ["lessthan"] = "lt",
    };

    public static bool IsKnown(string name) => Tests.ContainsKey(name) || Aliases.ContainsKey(name);

    public static bool Test(string name, object? value, CallArgs args)
    {
        var canonical = Aliases.GetValueOrDefault(name, name);
        return Tests.TryGetValue(canonical, out var test)
            ? test(value, args)
            : throw new TemplateFault($"unknown test '{name}'", ChatTemplateErrorKind.Syntax);
    }

    private static bool SameAs(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (bool x, bool y) => x == y,
        (long x, long y) => x == y,
        (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
        _ => ReferenceEquals(a, b),
    };
}
