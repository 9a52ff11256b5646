namespace Platform.ChatTemplates;

/// <summary>A chat template could not be parsed or rendered; <see cref="Line"/> and <see cref="Column"/> point into the template source (1-based).</summary>
public sealed class ChatTemplateException : Exception
{
    public ChatTemplateException(ChatTemplateErrorKind kind, string reason, int line, int column)
        : base($"{reason} (template line {line}, column {column})")
    {
        Kind = kind;
        Reason = reason;
        Line = line;
        Column = column;
    }

    public ChatTemplateErrorKind Kind { get; }

    /// <summary>The message without the position; for <see cref="ChatTemplateErrorKind.Raised"/> it is exactly the template's text.</summary>
    public string Reason { get; }

    public int Line { get; }

    public int Column { get; }
}
