namespace Platform.ChatTemplates.Runtime;

/// <summary>Evaluated arguments of a filter, test, method or function call, read Python-style by position or keyword.</summary>
internal sealed class CallArgs(IReadOnlyList<object?> positional, IReadOnlyDictionary<string, object?> named)
{
    public static readonly CallArgs Empty = new([], new Dictionary<string, object?>());

    public IReadOnlyList<object?> Positional { get; } = positional;

    public IReadOnlyDictionary<string, object?> Named { get; } = named;

    public bool Has(int index, string name) => Named.ContainsKey(name) || (index >= 0 && index < Positional.Count);

    public object? Get(int index, string name, object? fallback = null) =>
        Named.TryGetValue(name, out var value) ? value : index >= 0 && index < Positional.Count ? Positional[index] : fallback;

    public object? Required(int index, string name, string function) =>
        Has(index, name) ? Get(index, name) : throw new TemplateFault($"{function}() missing required argument '{name}'");

    public CallArgs Skip(int count) => new(Positional.Skip(count).ToList(), Named);
}
