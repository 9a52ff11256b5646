using Platform.ChatTemplates.Lexing;

namespace Platform.ChatTemplates.Parsing;

// Token expectations shared by statement and expression parsing; each failure names what was found.
internal sealed partial class Parser
{
    private Token Expect(TokenKind kind)
    {
        if (Current.Kind != kind)
        {
            var wanted = kind switch
            {
                TokenKind.BlockEnd => "'%}'",
                TokenKind.VariableEnd => "'}}'",
                _ => kind.ToString(),
            };
            throw Error($"expected {wanted}, got {Current.Describe()}", Current.Offset);
        }

        return Advance();
    }

    private void ExpectOperator(string op)
    {
        if (!Current.IsOperator(op))
        {
            throw Error($"expected '{op}', got {Current.Describe()}", Current.Offset);
        }

        Advance();
    }

    private void ExpectName(string name)
    {
        if (!Current.IsName(name))
        {
            throw Error($"expected '{name}', got {Current.Describe()}", Current.Offset);
        }

        Advance();
    }

    private string ExpectIdentifier()
    {
        if (Current.Kind != TokenKind.Name)
        {
            throw Error($"expected a name, got {Current.Describe()}", Current.Offset);
        }

        return Advance().Value;
    }

    private ChatTemplateException Error(string reason, int offset) => _map.Error(ChatTemplateErrorKind.Syntax, reason, offset);
}
