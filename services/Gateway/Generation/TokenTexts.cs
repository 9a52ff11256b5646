using System.Globalization;
using System.Text;
using Platform.Tokenizers;

namespace Platform.Gateway.Generation;

/// <summary>The text and bytes of single tokens, for logprobs.</summary>
internal static class TokenTexts
{
    /// <summary>
    /// The text <paramref name="id"/> adds after <paramref name="previousId"/>. Decoding the pair, not the token
    /// alone, keeps a SentencePiece token's leading space (decoders strip it at the start of a text).
    /// </summary>
    public static string Text(Tokenizer tokenizer, int previousId, int id)
    {
        var before = tokenizer.Decode([previousId]);
        var both = tokenizer.Decode([previousId, id]);
        return both.StartsWith(before, StringComparison.Ordinal) ? both[before.Length..] : tokenizer.Decode([id]);
    }

    /// <summary>The token's bytes: a byte-fallback token (<c>&lt;0xE2&gt;</c>) stands for one raw byte, others for their UTF-8 text.</summary>
    public static int[] Bytes(Tokenizer tokenizer, int id, string text)
    {
        if (tokenizer.IdToToken(id) is { Length: 6 } raw && raw.StartsWith("<0x", StringComparison.Ordinal) && raw[5] == '>'
            && byte.TryParse(raw.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b))
        {
            return [b];
        }
        return [.. Encoding.UTF8.GetBytes(text).Select(x => (int)x)];
    }
}
