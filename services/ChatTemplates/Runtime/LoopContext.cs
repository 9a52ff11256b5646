namespace Platform.ChatTemplates.Runtime;

/// <summary>The <c>loop</c> variable inside a for body.</summary>
internal sealed class LoopContext(IReadOnlyList<object?> items, int index0)
{
    public int Index0 { get; } = index0;

    public object? this[string attribute] => attribute switch
    {
        "index" => (long)Index0 + 1,
        "index0" => (long)Index0,
        "revindex" => (long)(items.Count - Index0),
        "revindex0" => (long)(items.Count - Index0 - 1),
        "first" => Index0 == 0,
        "last" => Index0 == items.Count - 1,
        "length" => (long)items.Count,
        "depth" => 1L,
        "depth0" => 0L,
        "previtem" => Index0 > 0 ? items[Index0 - 1] : new Undefined("loop.previtem"),
        "nextitem" => Index0 + 1 < items.Count ? items[Index0 + 1] : new Undefined("loop.nextitem"),
        _ => new Undefined($"loop.{attribute}"),
    };

    public object? Cycle(IReadOnlyList<object?> values) =>
        values.Count == 0 ? throw new TemplateFault("loop.cycle() needs at least one value") : values[Index0 % values.Count];
}
