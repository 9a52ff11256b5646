namespace Platform.ChatTemplates.Runtime;

/// <summary>The mutable object from <c>namespace(...)</c>: the only way a template carries state out of a for loop.</summary>
internal sealed class Namespace
{
    public Dictionary<string, object?> Attributes { get; } = new(StringComparer.Ordinal);
}
