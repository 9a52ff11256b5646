namespace Platform.ChatTemplates.Runtime;

/// <summary>
/// A render-time failure. The innermost expression or statement that sees it without a position stamps its own
/// offset, so the public exception points at the failing construct rather than the whole tag.
/// </summary>
internal sealed class TemplateFault(string message, ChatTemplateErrorKind kind = ChatTemplateErrorKind.Runtime) : Exception(message)
{
    public ChatTemplateErrorKind Kind { get; } = kind;

    public int? Offset { get; set; }
}
