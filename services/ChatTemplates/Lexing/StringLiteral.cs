using System.Globalization;
using System.Text;

namespace Platform.ChatTemplates.Lexing;

/// <summary>Python string-literal escapes, which is what Jinja applies to quoted strings in tags.</summary>
internal static class StringLiteral
{
    public static string Unescape(string body)
    {
        if (!body.Contains('\\', StringComparison.Ordinal))
        {
            return body;
        }

        var result = new StringBuilder(body.Length);
        for (var i = 0; i < body.Length; i++)
        {
            var c = body[i];
            if (c != '\\' || i + 1 == body.Length)
            {
                result.Append(c);
                continue;
            }

            var next = body[++i];
            switch (next)
            {
                case 'n': result.Append('\n'); break;
                case 't': result.Append('\t'); break;
                case 'r': result.Append('\r'); break;
                case '\\': result.Append('\\'); break;
                case '\'': result.Append('\''); break;
                case '"': result.Append('"'); break;
                case 'a': result.Append('\a'); break;
                case 'b': result.Append('\b'); break;
                case 'f': result.Append('\f'); break;
                case 'v': result.Append('\v'); break;
                case '0': result.Append('\0'); break;
                case '\n': break; // a backslash before a newline continues the literal
                case 'x' when TryHex(body, i + 1, 2, out var x): result.Append((char)x); i += 2; break;
                case 'u' when TryHex(body, i + 1, 4, out var u): result.Append((char)u); i += 4; break;
                case 'U' when TryHex(body, i + 1, 8, out var cp): result.Append(char.ConvertFromUtf32(cp)); i += 8; break;
                default: result.Append('\\').Append(next); break; // Python keeps unknown escapes verbatim
            }
        }

        return result.ToString();
    }

    private static bool TryHex(string text, int start, int length, out int value)
    {
        value = 0;
        return start + length <= text.Length
            && int.TryParse(text.AsSpan(start, length), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out value);
    }
}
