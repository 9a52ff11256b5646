using System.Globalization;
using Platform.ChatTemplates.Lexing;
using Platform.ChatTemplates.Runtime;
using Platform.ChatTemplates.Syntax;

namespace Platform.ChatTemplates.Parsing;

// Precedence follows Jinja's parser: conditional < or < and < not < comparison < + - < ~ < * / // % < ** < unary,
// with filters, tests and calls binding to the unary operand ("a + b | trim" is "a + (b | trim)").
internal sealed partial class Parser
{
    private static readonly HashSet<string> ComparisonOperators = ["==", "!=", "<", ">", "<=", ">="];

    private Expr ParseExpression(bool withConditional = true)
    {
        var expr = ParseOr();
        while (withConditional && Current.IsName("if"))
        {
            var offset = Advance().Offset;
            var condition = ParseOr();
            Expr? otherwise = null;
            if (Current.IsName("else"))
            {
                Advance();
                otherwise = ParseExpression();
            }

            expr = new ConditionalExpr(offset, condition, expr, otherwise);
        }

        return expr;
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsName("or"))
        {
            var offset = Advance().Offset;
            left = new BinaryExpr(offset, "or", left, ParseAnd());
        }

        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsName("and"))
        {
            var offset = Advance().Offset;
            left = new BinaryExpr(offset, "and", left, ParseNot());
        }

        return left;
    }

    private Expr ParseNot()
    {
        if (Current.IsName("not"))
        {
            var offset = Advance().Offset;
            return new UnaryExpr(offset, "not", ParseNot());
        }

        return ParseCompare();
    }

    private Expr ParseCompare()
    {
        var left = ParseAdditive();
        while (true)
        {
            var token = Current;
            string op;
            if (token.Kind == TokenKind.Operator && ComparisonOperators.Contains(token.Value))
            {
                op = token.Value;
                Advance();
            }
            else if (token.IsName("in"))
            {
                op = "in";
                Advance();
            }
            else if (token.IsName("not") && Peek().IsName("in"))
            {
                op = "not in";
                Advance();
                Advance();
            }
            else
            {
                return left;
            }

            left = new BinaryExpr(token.Offset, op, left, ParseAdditive());
        }
    }

    private Expr ParseAdditive()
    {
        var left = ParseConcat();
        while (Current.IsOperator("+") || Current.IsOperator("-"))
        {
            var token = Advance();
            left = new BinaryExpr(token.Offset, token.Value, left, ParseConcat());
        }

        return left;
    }

    private Expr ParseConcat()
    {
        var left = ParseMultiplicative();
        while (Current.IsOperator("~"))
        {
            var token = Advance();
            left = new BinaryExpr(token.Offset, "~", left, ParseMultiplicative());
        }

        return left;
    }

    private Expr ParseMultiplicative()
    {
        var left = ParsePower();
        while (Current.Kind == TokenKind.Operator && Current.Value is "*" or "/" or "//" or "%")
        {
            var token = Advance();
            left = new BinaryExpr(token.Offset, token.Value, left, ParsePower());
        }

        return left;
    }

    private Expr ParsePower()
    {
        var left = ParseUnary(withFilters: true);
        while (Current.IsOperator("**"))
        {
            var token = Advance();
            left = new BinaryExpr(token.Offset, "**", left, ParseUnary(withFilters: true));
        }

        return left;
    }

    private Expr ParseUnary(bool withFilters)
    {
        Expr node;
        if (Current.IsOperator("-") || Current.IsOperator("+"))
        {
            var token = Advance();
            node = new UnaryExpr(token.Offset, token.Value, ParseUnary(withFilters: false));
        }
        else
        {
            node = ParsePostfix(ParsePrimary());
        }

        return withFilters ? ParseFiltersAndTests(node) : node;
    }

    private Expr ParseFiltersAndTests(Expr node)
    {
        while (true)
        {
            if (Current.IsOperator("|"))
            {
                var offset = Advance().Offset;
                var name = ExpectIdentifier();
                if (!Filters.IsKnown(name))
                {
                    throw Error($"unknown filter '{name}'", offset);
                }

                var arguments = Current.IsOperator("(") ? ParseArguments() : Arguments.None;
                node = new FilterExpr(offset, node, name, arguments);
            }
            else if (Current.IsName("is"))
            {
                node = ParseTest(node);
            }
            else if (Current.IsOperator("("))
            {
                node = new CallExpr(Current.Offset, node, ParseArguments());
            }
            else
            {
                return node;
            }
        }
    }

    private TestExpr ParseTest(Expr node)
    {
        var offset = Advance().Offset;
        var negated = false;
        if (Current.IsName("not"))
        {
            Advance();
            negated = true;
        }

        var name = ExpectIdentifier();
        if (!Predicates.IsKnown(name))
        {
            throw Error($"unknown test '{name}'", offset);
        }

        var arguments = Arguments.None;
        if (Current.IsOperator("("))
        {
            arguments = ParseArguments();
        }
        else if (StartsBareTestArgument(Current))
        {
            arguments = new Arguments([ParsePostfix(ParsePrimary())], []);
        }

        return new TestExpr(offset, node, name, negated, arguments);
    }

    private static bool StartsBareTestArgument(Token token) => token.Kind switch
    {
        TokenKind.Name => token.Value is not ("else" or "or" or "and" or "if" or "is" or "in" or "not"),
        TokenKind.String or TokenKind.Integer or TokenKind.Float => true,
        TokenKind.Operator => token.Value is "[" or "{",
        _ => false,
    };

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            var token = Current;
            if (token.IsOperator("."))
            {
                Advance();
                var attribute = Advance();
                node = attribute.Kind switch
                {
                    TokenKind.Name => new AttributeExpr(token.Offset, node, attribute.Value),
                    TokenKind.Integer => new ItemExpr(token.Offset, node, new LiteralExpr(attribute.Offset, ParseInteger(attribute))),
                    _ => throw Error($"expected an attribute name after '.', got {attribute.Describe()}", attribute.Offset),
                };
            }
            else if (token.IsOperator("["))
            {
                Advance();
                node = ParseSubscript(token.Offset, node);
            }
            else if (token.IsOperator("("))
            {
                node = new CallExpr(token.Offset, node, ParseArguments());
            }
            else
            {
                return node;
            }
        }
    }

    private Expr ParseSubscript(int offset, Expr target)
    {
        Expr? start = Current.IsOperator(":") ? null : ParseExpression();
        if (start is not null && Current.IsOperator("]"))
        {
            Advance();
            return new ItemExpr(offset, target, start);
        }

        ExpectOperator(":");
        Expr? stop = Current.IsOperator(":") || Current.IsOperator("]") ? null : ParseExpression();
        Expr? step = null;
        if (Current.IsOperator(":"))
        {
            Advance();
            step = Current.IsOperator("]") ? null : ParseExpression();
        }

        ExpectOperator("]");
        return new SliceExpr(offset, target, start, stop, step);
    }

    private Arguments ParseArguments()
    {
        ExpectOperator("(");
        var positional = new List<Expr>();
        var named = new List<KeyValuePair<string, Expr>>();
        while (!Current.IsOperator(")"))
        {
            if (Current.Kind == TokenKind.Name && Peek().IsOperator("="))
            {
                var name = Advance().Value;
                Advance();
                named.Add(new(name, ParseExpression()));
            }
            else if (named.Count > 0)
            {
                throw Error("positional argument after keyword argument", Current.Offset);
            }
            else
            {
                positional.Add(ParseExpression());
            }

            if (!Current.IsOperator(","))
            {
                break;
            }

            Advance();
        }

        ExpectOperator(")");
        return new Arguments(positional, named);
    }
}
