namespace Platform.ChatTemplates.Lexing;

/// <summary>A lexical token; <see cref="Offset"/> indexes the normalized source so errors can name a line and column.</summary>
internal readonly record struct Token(TokenKind Kind, string Value, int Offset)
{
    public bool Is(TokenKind kind, string value) => Kind == kind && Value == value;

    public bool IsName(string value) => Is(TokenKind.Name, value);

    public bool IsOperator(string value) => Is(TokenKind.Operator, value);

    public string Describe() => Kind switch
    {
        TokenKind.EndOfInput => "end of template",
        TokenKind.VariableEnd => "'}}'",
        TokenKind.BlockEnd => "'%}'",
        TokenKind.Text => "template text",
        TokenKind.String => "string literal",
        _ => $"'{Value}'",
    };
}
