using Platform.ChatTemplates.Lexing;
using Platform.ChatTemplates.Runtime;
using Platform.ChatTemplates.Syntax;

namespace Platform.ChatTemplates.Parsing;

/// <summary>Recursive-descent parser for the statement tags chat templates use; expressions are in Parser.Expressions.cs.</summary>
internal sealed partial class Parser
{
    private readonly List<Token> _tokens;
    private readonly SourceMap _map;
    private int _index;

    private Parser(List<Token> tokens, SourceMap map)
    {
        _tokens = tokens;
        _map = map;
    }

    public static IReadOnlyList<Node> Parse(string normalizedSource, SourceMap map)
    {
        var parser = new Parser(Lexer.Tokenize(normalizedSource, map), map);
        var body = parser.ParseBody([], out _);
        return body;
    }

    private Token Current => _tokens[_index];

    private Token Peek(int ahead = 1) => _tokens[Math.Min(_index + ahead, _tokens.Count - 1)];

    private Token Advance() => _tokens[_index++];

    /// <summary>Parses nodes until a block tag named in <paramref name="stops"/>, which is consumed up to its name.</summary>
    private List<Node> ParseBody(string[] stops, out string terminator, int openedAt = 0)
    {
        var nodes = new List<Node>();
        while (true)
        {
            var token = Advance();
            switch (token.Kind)
            {
                case TokenKind.Text:
                    nodes.Add(new TextNode(token.Offset, token.Value));
                    break;
                case TokenKind.VariableBegin:
                    nodes.Add(new OutputNode(token.Offset, ParseExpression()));
                    Expect(TokenKind.VariableEnd);
                    break;
                case TokenKind.BlockBegin:
                    var name = Current;
                    if (name.Kind == TokenKind.Name && Array.IndexOf(stops, name.Value) >= 0)
                    {
                        Advance();
                        terminator = name.Value;
                        return nodes;
                    }

                    ParseStatement(nodes);
                    break;
                case TokenKind.EndOfInput when stops.Length == 0:
                    _index--;
                    terminator = "";
                    return nodes;
                case TokenKind.EndOfInput:
                    throw Error($"unexpected end of template, expected {string.Join(" or ", stops.Select(s => $"'{s}'"))}", openedAt);
                default:
                    throw Error($"unexpected {token.Describe()}", token.Offset);
            }
        }
    }

    private void ParseStatement(List<Node> nodes)
    {
        var keyword = Advance();
        if (keyword.Kind != TokenKind.Name)
        {
            throw Error($"expected a tag name, got {keyword.Describe()}", keyword.Offset);
        }

        switch (keyword.Value)
        {
            case "if": nodes.Add(ParseIf(keyword.Offset)); break;
            case "for": nodes.Add(ParseFor(keyword.Offset)); break;
            case "set": nodes.Add(ParseSet(keyword.Offset)); break;
            case "macro": nodes.Add(ParseMacro(keyword.Offset)); break;
            case "filter": nodes.Add(ParseFilterBlock(keyword.Offset)); break;
            case "break" or "continue":
                Expect(TokenKind.BlockEnd);
                nodes.Add(new LoopControlNode(keyword.Offset, keyword.Value == "break"));
                break;
            case "generation":
                // Hugging Face marks assistant text for training masks with this tag; it renders its body unchanged.
                Expect(TokenKind.BlockEnd);
                nodes.AddRange(ParseBody(["endgeneration"], out _, keyword.Offset));
                Expect(TokenKind.BlockEnd);
                break;
            case "elif" or "else" or "endif" or "endfor" or "endset" or "endmacro" or "endfilter" or "endgeneration" or "endraw":
                throw Error($"unexpected '{keyword.Value}' without a matching opening tag", keyword.Offset);
            default:
                throw Error($"unknown or unsupported tag '{keyword.Value}'", keyword.Offset);
        }
    }

    private IfNode ParseIf(int offset)
    {
        var branches = new List<IfBranch>();
        var condition = ParseExpression();
        while (true)
        {
            Expect(TokenKind.BlockEnd);
            var body = ParseBody(["elif", "else", "endif"], out var terminator, offset);
            branches.Add(new IfBranch(condition, body));
            if (terminator == "elif")
            {
                condition = ParseExpression();
                continue;
            }

            List<Node> elseBody = [];
            if (terminator == "else")
            {
                Expect(TokenKind.BlockEnd);
                elseBody = ParseBody(["endif"], out _, offset);
            }

            Expect(TokenKind.BlockEnd);
            return new IfNode(offset, branches, elseBody);
        }
    }

    private ForNode ParseFor(int offset)
    {
        var targets = ParseTargets();
        ExpectName("in");
        var iterable = ParseExpression(withConditional: false);
        Expr? filter = null;
        if (Current.IsName("if"))
        {
            Advance();
            filter = ParseExpression(withConditional: false);
        }

        if (Current.IsName("recursive"))
        {
            throw Error("recursive for loops are not supported", Current.Offset);
        }

        Expect(TokenKind.BlockEnd);
        var body = ParseBody(["else", "endfor"], out var terminator, offset);
        List<Node> elseBody = [];
        if (terminator == "else")
        {
            Expect(TokenKind.BlockEnd);
            elseBody = ParseBody(["endfor"], out _, offset);
        }

        Expect(TokenKind.BlockEnd);
        return new ForNode(offset, targets, iterable, filter, body, elseBody);
    }

    private List<string> ParseTargets()
    {
        var parenthesized = Current.IsOperator("(");
        if (parenthesized)
        {
            Advance();
        }

        var targets = new List<string> { ExpectIdentifier() };
        while (Current.IsOperator(","))
        {
            Advance();
            targets.Add(ExpectIdentifier());
        }

        if (parenthesized)
        {
            ExpectOperator(")");
        }

        return targets;
    }

    private Node ParseSet(int offset)
    {
        if (Peek().IsOperator("."))
        {
            var target = ExpectIdentifier();
            Advance();
            var attribute = ExpectIdentifier();
            ExpectOperator("=");
            var value = ParseExpression();
            Expect(TokenKind.BlockEnd);
            return new SetNode(offset, [target], attribute, value);
        }

        var targets = ParseTargets();
        if (targets.Count == 1 && Current.Kind == TokenKind.BlockEnd)
        {
            Advance();
            var body = ParseBody(["endset"], out _, offset);
            Expect(TokenKind.BlockEnd);
            return new SetBlockNode(offset, targets[0], body);
        }

        ExpectOperator("=");
        var assigned = ParseExpression();
        Expect(TokenKind.BlockEnd);
        return new SetNode(offset, targets, null, assigned);
    }

    private MacroNode ParseMacro(int offset)
    {
        var name = ExpectIdentifier();
        ExpectOperator("(");
        var parameters = new List<MacroParameter>();
        while (!Current.IsOperator(")"))
        {
            var parameter = ExpectIdentifier();
            Expr? defaultValue = null;
            if (Current.IsOperator("="))
            {
                Advance();
                defaultValue = ParseExpression();
            }

            parameters.Add(new MacroParameter(parameter, defaultValue));
            if (!Current.IsOperator(","))
            {
                break;
            }

            Advance();
        }

        ExpectOperator(")");
        Expect(TokenKind.BlockEnd);
        var body = ParseBody(["endmacro"], out _, offset);
        Expect(TokenKind.BlockEnd);
        return new MacroNode(offset, name, parameters, body);
    }

    private FilterBlockNode ParseFilterBlock(int offset)
    {
        var filters = new List<FilterCall>();
        do
        {
            if (filters.Count > 0)
            {
                Advance();
            }

            var at = Current.Offset;
            var name = ExpectIdentifier();
            if (!Filters.IsKnown(name))
            {
                throw Error($"unknown filter '{name}'", at);
            }

            filters.Add(new FilterCall(name, Current.IsOperator("(") ? ParseArguments() : Arguments.None));
        }
        while (Current.IsOperator("|"));

        Expect(TokenKind.BlockEnd);
        var body = ParseBody(["endfilter"], out _, offset);
        Expect(TokenKind.BlockEnd);
        return new FilterBlockNode(offset, filters, body);
    }
}
