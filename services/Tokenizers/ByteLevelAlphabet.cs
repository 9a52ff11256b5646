using System.Text;

namespace Platform.Tokenizers;

/// <summary>
/// GPT-2's reversible byte-to-character table: printable Latin-1 bytes map to themselves, the other
/// 68 bytes to U+0100 upwards, so any byte string becomes a string with no spaces or control characters.
/// </summary>
public static class ByteLevelAlphabet
{
    private static readonly char[] ByteToChar = BuildTable();
    private static readonly Dictionary<char, byte> CharToByte = BuildReverse();

    public static char ToChar(byte b) => ByteToChar[b];

    public static bool TryGetByte(char c, out byte b) => CharToByte.TryGetValue(c, out b);

    /// <summary>Encodes <paramref name="text"/> as UTF-8 and maps every byte to its alphabet character.</summary>
    public static string Encode(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return string.Create(bytes.Length, bytes, static (chars, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                chars[i] = ByteToChar[source[i]];
            }
        });
    }

    private static char[] BuildTable()
    {
        var table = new char[256];
        var assigned = new bool[256];
        foreach (var (first, last) in new[] { ('!', '~'), ('¡', '¬'), ('®', 'ÿ') })
        {
            for (int c = first; c <= last; c++)
            {
                table[c] = (char)c;
                assigned[c] = true;
            }
        }

        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            if (!assigned[b])
            {
                table[b] = (char)next++;
            }
        }

        return table;
    }

    private static Dictionary<char, byte> BuildReverse()
    {
        var reverse = new Dictionary<char, byte>(256);
        for (var b = 0; b < 256; b++)
        {
            reverse[ByteToChar[b]] = (byte)b;
        }

        return reverse;
    }
}
