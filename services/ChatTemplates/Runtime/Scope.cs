namespace Platform.ChatTemplates.Runtime;

/// <summary>
/// A variable frame. As in Jinja, a for loop or macro call opens a frame and <c>set</c> writes to the innermost one,
/// so assignments inside a loop do not leak out of it; if-blocks share their enclosing frame.
/// </summary>
internal sealed class Scope(Scope? parent)
{
    private readonly Dictionary<string, object?> _variables = new(StringComparer.Ordinal);

    public bool TryGet(string name, out object? value)
    {
        for (var scope = this; scope is not null; scope = scope.Parent)
        {
            if (scope._variables.TryGetValue(name, out value))
            {
                return true;
            }
        }

        value = null;
        return false;
    }

    public void Set(string name, object? value) => _variables[name] = value;

    public Scope? Parent { get; } = parent;
}
