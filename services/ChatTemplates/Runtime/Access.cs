namespace Platform.ChatTemplates.Runtime;

/// <summary>
/// <c>a.b</c>, <c>a[b]</c> and <c>a[i:j:k]</c>. Like Jinja, a missing key, attribute or index gives undefined rather
/// than an error, which is what lets templates probe optional message fields.
/// </summary>
internal static class Access
{
    public static object? Attribute(object? target, string name) => target switch
    {
        IReadOnlyDictionary<string, object?> map => map.TryGetValue(name, out var value) ? value : Missing(target, name),
        Namespace ns => ns.Attributes.TryGetValue(name, out var value) ? value : Missing(target, name),
        LoopContext loop => loop[name],
        _ => Missing(target, name),
    };

    public static object? Item(object? target, object? index)
    {
        switch (target)
        {
            case IReadOnlyDictionary<string, object?> map:
                var key = PyFormat.Str(index);
                return map.TryGetValue(key, out var value) ? value : Missing(target, key);
            case IReadOnlyList<object?> list when index is long or bool:
                var i = Normalize(Values.ToLong(index), list.Count);
                return i >= 0 && i < list.Count ? list[(int)i] : Missing(target, PyFormat.Str(index));
            case string s when index is long or bool:
                var j = Normalize(Values.ToLong(index), s.Length);
                return j >= 0 && j < s.Length ? s[(int)j].ToString() : Missing(target, PyFormat.Str(index));
            case Namespace or LoopContext when index is string name:
                return Attribute(target, name);
            default:
                return Missing(target, PyFormat.Str(index));
        }
    }

    public static object? Slice(object? target, object? start, object? stop, object? step)
    {
        switch (target)
        {
            case IReadOnlyList<object?> list:
                return SliceIndices(list.Count, start, stop, step).Select(i => list[i]).ToList();
            case string s:
                return string.Concat(SliceIndices(s.Length, start, stop, step).Select(i => s[i]));
            case Undefined u:
                throw Values.Undefinedness(u)!;
            default:
                throw new TemplateFault($"'{Values.TypeName(target)}' object is not subscriptable");
        }
    }

    /// <summary>Python's slice semantics, including negative and omitted bounds and negative steps.</summary>
    private static IEnumerable<int> SliceIndices(int length, object? startValue, object? stopValue, object? stepValue)
    {
        var step = stepValue is null or Undefined ? 1 : Values.ToLong(stepValue);
        if (step == 0)
        {
            throw new TemplateFault("slice step cannot be zero");
        }

        long lower = step > 0 ? 0 : -1;
        long upper = step > 0 ? length : length - 1;
        var start = Bound(startValue, step > 0 ? lower : upper);
        var stop = Bound(stopValue, step > 0 ? upper : lower);
        for (var i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            yield return (int)i;
        }

        long Bound(object? value, long fallback)
        {
            if (value is null or Undefined)
            {
                return fallback;
            }

            var bound = Values.ToLong(value);
            return bound < 0 ? Math.Max(bound + length, lower) : Math.Min(bound, upper);
        }
    }

    private static long Normalize(long index, int count) => index < 0 ? index + count : index;

    private static Undefined Missing(object? target, string name) =>
        new(target is Undefined u ? $"{u.Name}.{name}" : name);
}
