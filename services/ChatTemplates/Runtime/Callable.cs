namespace Platform.ChatTemplates.Runtime;

/// <summary>A global function such as <c>range</c> or <c>raise_exception</c>.</summary>
internal sealed class Callable(string name, Func<CallArgs, object?> invoke)
{
    public string Name { get; } = name;

    public object? Invoke(CallArgs args) => invoke(args);
}
