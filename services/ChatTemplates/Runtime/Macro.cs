using Platform.ChatTemplates.Syntax;

namespace Platform.ChatTemplates.Runtime;

/// <summary>A macro defined by the template; calling it renders its body to a string.</summary>
internal sealed class Macro(MacroNode definition)
{
    public MacroNode Definition { get; } = definition;
}
