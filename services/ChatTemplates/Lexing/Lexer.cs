namespace Platform.ChatTemplates.Lexing;

/// <summary>
/// Splits a template into text and tag tokens, applying whitespace control the way Jinja does with
/// <c>trim_blocks=True, lstrip_blocks=True</c> (what Hugging Face renders with): a block or comment tag drops the
/// first newline after it and the indentation before it; <c>-</c> strips all whitespace on its side, <c>+</c> opts out.
/// </summary>
internal sealed partial class Lexer
{
    private readonly string _source;
    private readonly SourceMap _map;
    private readonly List<Token> _tokens = [];
    private int _pos;

    private Lexer(string source, SourceMap map)
    {
        _source = source;
        _map = map;
    }

    /// <summary>Jinja's newline normalization and its default <c>keep_trailing_newline=False</c>.</summary>
    public static string Normalize(string source)
    {
        var text = source.Replace("\r\n", "\n", StringComparison.Ordinal);
        return text.EndsWith('\n') ? text[..^1] : text;
    }

    public static List<Token> Tokenize(string normalizedSource, SourceMap map)
    {
        var lexer = new Lexer(normalizedSource, map);
        lexer.Run();
        return lexer._tokens;
    }

    private void Run()
    {
        while (_pos < _source.Length)
        {
            var tagStart = FindTagStart(_pos);
            if (tagStart < 0)
            {
                EmitText(_source[_pos..], _pos);
                break;
            }

            var kind = _source[tagStart + 1];
            var sign = tagStart + 2 < _source.Length ? _source[tagStart + 2] : '\0';
            var text = _source[_pos..tagStart];
            if (sign == '-')
            {
                text = text.TrimEnd();
            }
            else if (sign != '+' && kind != '{')
            {
                text = LstripBlock(text, _pos);
            }

            EmitText(text, _pos);
            var inner = tagStart + 2 + (sign is '-' or '+' ? 1 : 0);
            var (end, endSign) = kind switch
            {
                '#' => SkipComment(tagStart, inner),
                '{' => LexTag(tagStart, inner, TokenKind.VariableBegin, TokenKind.VariableEnd, "}}"),
                _ => LexTag(tagStart, inner, TokenKind.BlockBegin, TokenKind.BlockEnd, "%}"),
            };
            _pos = end;
            if (endSign == '-')
            {
                while (_pos < _source.Length && char.IsWhiteSpace(_source[_pos]))
                {
                    _pos++;
                }
            }
            else if (endSign != '+' && kind != '{' && _pos < _source.Length && _source[_pos] == '\n')
            {
                _pos++;
            }

            if (kind == '%')
            {
                TryLexRaw();
            }
        }

        _tokens.Add(new Token(TokenKind.EndOfInput, "", _source.Length));
    }

    private int FindTagStart(int from)
    {
        for (var i = _source.IndexOf('{', from); i >= 0 && i + 1 < _source.Length; i = _source.IndexOf('{', i + 1))
        {
            if (_source[i + 1] is '{' or '%' or '#')
            {
                return i;
            }
        }

        return -1;
    }

    private string LstripBlock(string text, int textStart)
    {
        var lineStart = text.LastIndexOf('\n') + 1;
        var atLineStart = lineStart > 0 || textStart == 0 || _source[textStart - 1] == '\n';
        if (!atLineStart)
        {
            return text;
        }

        for (var i = lineStart; i < text.Length; i++)
        {
            if (!char.IsWhiteSpace(text[i]))
            {
                return text;
            }
        }

        return text[..lineStart];
    }

    private void EmitText(string text, int offset)
    {
        if (text.Length > 0)
        {
            _tokens.Add(new Token(TokenKind.Text, text, offset));
        }
    }

    private (int End, char Sign) SkipComment(int tagStart, int inner)
    {
        var close = _source.IndexOf("#}", inner, StringComparison.Ordinal);
        if (close < 0)
        {
            throw _map.Error(ChatTemplateErrorKind.Syntax, "unclosed comment, expected '#}'", tagStart);
        }

        var sign = close > inner && _source[close - 1] is '-' or '+' ? _source[close - 1] : '\0';
        return (close + 2, sign);
    }

    /// <summary><c>{% raw %}...{% endraw %}</c>: everything between is text, tags included.</summary>
    private void TryLexRaw()
    {
        var n = _tokens.Count;
        if (n < 3 || !_tokens[n - 2].IsName("raw") || _tokens[n - 3].Kind != TokenKind.BlockBegin)
        {
            return;
        }

        var rawOffset = _tokens[n - 3].Offset;
        _tokens.RemoveRange(n - 3, 3);
        var search = _pos;
        while (true)
        {
            var tag = _source.IndexOf("{%", search, StringComparison.Ordinal);
            if (tag < 0)
            {
                throw _map.Error(ChatTemplateErrorKind.Syntax, "missing '{% endraw %}' for '{% raw %}'", rawOffset);
            }

            var inner = tag + 2 + (tag + 2 < _source.Length && _source[tag + 2] is '-' or '+' ? 1 : 0);
            var close = _source.IndexOf("%}", inner, StringComparison.Ordinal);
            var body = close < 0 ? "" : _source[inner..close].TrimEnd('-', '+').Trim();
            if (body != "endraw")
            {
                search = tag + 2;
                continue;
            }

            var text = _source[_pos..tag];
            EmitText(_source[tag + 2] == '-' ? text.TrimEnd() : text, _pos);
            _pos = close + 2;
            if (_source[close - 1] == '-')
            {
                while (_pos < _source.Length && char.IsWhiteSpace(_source[_pos]))
                {
                    _pos++;
                }
            }
            else if (_source[close - 1] != '+' && _pos < _source.Length && _source[_pos] == '\n')
            {
                _pos++;
            }

            return;
        }
    }
}
