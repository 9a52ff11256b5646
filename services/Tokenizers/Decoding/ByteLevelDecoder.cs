using System.Text;

namespace Platform.Tokenizers;

/// <summary>Maps byte-level alphabet characters back to bytes and decodes them as (lossy) UTF-8.</summary>
internal sealed class ByteLevelDecoder : IDecoder
{
    public List<string> DecodeChain(List<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (var token in tokens)
        {
            AppendBytes(token, bytes);
        }

        // Encoding.UTF8 substitutes U+FFFD per maximal invalid subsequence, as Rust's from_utf8_lossy does.
        return [Encoding.UTF8.GetString([.. bytes])];
    }

    private static void AppendBytes(string token, List<byte> bytes)
    {
        var start = bytes.Count;
        foreach (var c in token)
        {
            if (!ByteLevelAlphabet.TryGetByte(c, out var b))
            {
                // A token outside the alphabet (an added token like "ü") keeps its own UTF-8, as in Hugging Face.
                bytes.RemoveRange(start, bytes.Count - start);
                bytes.AddRange(Encoding.UTF8.GetBytes(token));
                return;
            }

            bytes.Add(b);
        }
    }
}
