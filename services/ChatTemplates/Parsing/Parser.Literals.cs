using System.Globalization;
using Platform.ChatTemplates.Lexing;
using Platform.ChatTemplates.Syntax;

namespace Platform.ChatTemplates.Parsing;

// Atoms: names, literals, parenthesized expressions and tuples, list and dict displays.
internal sealed partial class Parser
{
    private Expr ParsePrimary()
    {
        var token = Advance();
        switch (token.Kind)
        {
            case TokenKind.Name:
                return token.Value switch
                {
                    "true" or "True" => new LiteralExpr(token.Offset, true),
                    "false" or "False" => new LiteralExpr(token.Offset, false),
                    "none" or "None" => new LiteralExpr(token.Offset, null),
                    _ => new NameExpr(token.Offset, token.Value),
                };
            case TokenKind.String:
                var text = token.Value;
                while (Current.Kind == TokenKind.String)
                {
                    text += Advance().Value; // adjacent literals concatenate, as in Python
                }

                return new LiteralExpr(token.Offset, text);
            case TokenKind.Integer:
                return new LiteralExpr(token.Offset, ParseInteger(token));
            case TokenKind.Float:
                return new LiteralExpr(token.Offset, double.Parse(token.Value, CultureInfo.InvariantCulture));
            case TokenKind.Operator when token.Value == "(":
                return ParseParenthesized(token.Offset);
            case TokenKind.Operator when token.Value == "[":
                return new ListExpr(token.Offset, ParseSequence("]"), IsTuple: false);
            case TokenKind.Operator when token.Value == "{":
                return ParseDict(token.Offset);
            default:
                throw Error($"unexpected {token.Describe()}", token.Offset);
        }
    }

    private Expr ParseParenthesized(int offset)
    {
        if (Current.IsOperator(")"))
        {
            Advance();
            return new ListExpr(offset, [], IsTuple: true);
        }

        var first = ParseExpression();
        if (!Current.IsOperator(","))
        {
            ExpectOperator(")");
            return first;
        }

        Advance();
        var items = new List<Expr> { first };
        items.AddRange(ParseSequence(")"));
        return new ListExpr(offset, items, IsTuple: true);
    }

    private List<Expr> ParseSequence(string close)
    {
        var items = new List<Expr>();
        while (!Current.IsOperator(close))
        {
            items.Add(ParseExpression());
            if (!Current.IsOperator(","))
            {
                break;
            }

            Advance();
        }

        ExpectOperator(close);
        return items;
    }

    private DictExpr ParseDict(int offset)
    {
        var entries = new List<KeyValuePair<Expr, Expr>>();
        while (!Current.IsOperator("}"))
        {
            var key = ParseExpression();
            ExpectOperator(":");
            entries.Add(new(key, ParseExpression()));
            if (!Current.IsOperator(","))
            {
                break;
            }

            Advance();
        }

        ExpectOperator("}");
        return new DictExpr(offset, entries);
    }

    private long ParseInteger(Token token) =>
        long.TryParse(token.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Error($"integer literal '{token.Value}' is out of range", token.Offset);
}
