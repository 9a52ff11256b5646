namespace Platform.ChatTemplates.Runtime;

/// <summary>The functions Hugging Face exposes to chat templates, plus Jinja's own <c>range</c>, <c>namespace</c> and <c>dict</c>.</summary>
internal static class Globals
{
    public static Dictionary<string, object?> Create(TimeProvider time) => new(StringComparer.Ordinal)
    {
        ["range"] = new Callable("range", Range),
        ["namespace"] = new Callable("namespace", CreateNamespace),
        ["dict"] = new Callable("dict", args => args.Named.ToDictionary(p => p.Key, p => p.Value)),
        ["raise_exception"] = new Callable("raise_exception", args =>
            throw new TemplateFault(PyFormat.Str(args.Get(0, "message", "")), ChatTemplateErrorKind.Raised)),
        ["strftime_now"] = new Callable("strftime_now", args =>
            Strftime.Format(time.GetLocalNow(), PyFormat.Str(args.Required(0, "format", "strftime_now")))),
    };

    private static object? Range(CallArgs args)
    {
        var numbers = args.Positional.Select(Values.ToLong).ToArray();
        var (start, stop, step) = numbers.Length switch
        {
            1 => (0L, numbers[0], 1L),
            2 => (numbers[0], numbers[1], 1L),
            3 => (numbers[0], numbers[1], numbers[2]),
            _ => throw new TemplateFault($"range expected 1 to 3 arguments, got {numbers.Length}"),
        };
        if (step == 0)
        {
            throw new TemplateFault("range() arg 3 must not be zero");
        }

        var result = new List<object?>();
        for (var i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            result.Add(i);
        }

        return result;
    }

    private static object? CreateNamespace(CallArgs args)
    {
        var ns = new Namespace();
        foreach (var positional in args.Positional)
        {
            if (positional is not IReadOnlyDictionary<string, object?> initial)
            {
                throw new TemplateFault($"namespace() takes mappings or keyword arguments, not '{Values.TypeName(positional)}'");
            }

            foreach (var (key, value) in initial)
            {
                ns.Attributes[key] = value;
            }
        }

        foreach (var (key, value) in args.Named)
        {
            ns.Attributes[key] = value;
        }

        return ns;
    }
}
