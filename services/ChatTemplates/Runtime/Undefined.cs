namespace Platform.ChatTemplates.Runtime;

/// <summary>
/// Jinja's default undefined: renders as "", is falsy, iterates as empty, has length 0. Attribute and item access
/// on it give another undefined (lenient, like Jinja's ChainableUndefined) so optional fields can be probed freely;
/// arithmetic with it fails and names the missing variable.
/// </summary>
internal sealed class Undefined(string name)
{
    public static readonly Undefined Anonymous = new("value");

    public string Name { get; } = name;
}
