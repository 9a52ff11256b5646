namespace Platform.ChatTemplates;

/// <summary>Why a chat template failed, so a server can tell a client's bad conversation from a broken template.</summary>
public enum ChatTemplateErrorKind
{
    /// <summary>The template text is not valid for this interpreter (a bad tag, an unknown filter).</summary>
    Syntax,

    /// <summary>Evaluation failed: a type error, an undefined value used in arithmetic.</summary>
    Runtime,

    /// <summary>The template itself rejected the input through <c>raise_exception(message)</c>.</summary>
    Raised,
}
