namespace Platform.ChatTemplates.Lexing;

internal sealed partial class Lexer
{
    private static readonly string[] Operators =
        ["**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"];

    private (int End, char Sign) LexTag(int tagStart, int p, TokenKind begin, TokenKind end, string close)
    {
        _tokens.Add(new Token(begin, "", tagStart));
        var depth = 0;
        while (true)
        {
            while (p < _source.Length && char.IsWhiteSpace(_source[p]))
            {
                p++;
            }

            if (p >= _source.Length)
            {
                throw _map.Error(ChatTemplateErrorKind.Syntax, $"unexpected end of template, expected '{close}'", tagStart);
            }

            if (depth == 0)
            {
                if (string.CompareOrdinal(_source, p, close, 0, 2) == 0)
                {
                    _tokens.Add(new Token(end, "", p));
                    return (p + 2, '\0');
                }

                if (_source[p] is '-' or '+' && string.CompareOrdinal(_source, p + 1, close, 0, 2) == 0
                    && (_source[p] == '-' || end == TokenKind.BlockEnd))
                {
                    _tokens.Add(new Token(end, "", p));
                    return (p + 3, _source[p]);
                }
            }

            var c = _source[p];
            if (char.IsLetter(c) || c == '_')
            {
                var start = p;
                while (p < _source.Length && (char.IsLetterOrDigit(_source[p]) || _source[p] == '_'))
                {
                    p++;
                }

                _tokens.Add(new Token(TokenKind.Name, _source[start..p], start));
            }
            else if (char.IsAsciiDigit(c))
            {
                p = LexNumber(p);
            }
            else if (c is '"' or '\'')
            {
                p = LexString(p);
            }
            else
            {
                var op = Array.Find(Operators, o => string.CompareOrdinal(_source, p, o, 0, o.Length) == 0)
                    ?? throw _map.Error(ChatTemplateErrorKind.Syntax, $"unexpected character '{c}'", p);
                depth += op is "(" or "[" or "{" ? 1 : op is ")" or "]" or "}" ? -1 : 0;
                _tokens.Add(new Token(TokenKind.Operator, op, p));
                p += op.Length;
            }
        }
    }

    private int LexNumber(int p)
    {
        var start = p;
        var isFloat = false;
        while (p < _source.Length && (char.IsAsciiDigit(_source[p]) || _source[p] == '_'))
        {
            p++;
        }

        // "1.5" is a float, but in "x.0.1" or "loop.index0" the dot belongs to attribute access.
        var afterDot = _tokens.Count > 0 && _tokens[^1].IsOperator(".");
        if (!afterDot && p + 1 < _source.Length && _source[p] == '.' && char.IsAsciiDigit(_source[p + 1]))
        {
            isFloat = true;
            p++;
            while (p < _source.Length && char.IsAsciiDigit(_source[p]))
            {
                p++;
            }
        }

        if (!afterDot && p < _source.Length && _source[p] is 'e' or 'E')
        {
            var q = p + 1;
            if (q < _source.Length && _source[q] is '+' or '-')
            {
                q++;
            }

            if (q < _source.Length && char.IsAsciiDigit(_source[q]))
            {
                isFloat = true;
                p = q;
                while (p < _source.Length && char.IsAsciiDigit(_source[p]))
                {
                    p++;
                }
            }
        }

        var text = _source[start..p].Replace("_", "", StringComparison.Ordinal);
        _tokens.Add(new Token(isFloat ? TokenKind.Float : TokenKind.Integer, text, start));
        return p;
    }

    private int LexString(int p)
    {
        var quote = _source[p];
        var i = p + 1;
        while (i < _source.Length && _source[i] != quote)
        {
            i += _source[i] == '\\' ? 2 : 1;
        }

        if (i >= _source.Length)
        {
            throw _map.Error(ChatTemplateErrorKind.Syntax, "unterminated string literal", p);
        }

        _tokens.Add(new Token(TokenKind.String, StringLiteral.Unescape(_source[(p + 1)..i]), p));
        return i + 1;
    }
}
