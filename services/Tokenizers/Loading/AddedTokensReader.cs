using System.Text.Json;

namespace Platform.Tokenizers;

internal static class AddedTokensReader
{
    public static List<AddedToken> Read(JsonElement root, string source)
    {
        var tokens = new List<AddedToken>();
        foreach (var t in NormalizerReader.Items(root, "added_tokens"))
        {
            var content = t.StringOrNull("content");
            var id = t.Int("id", -1);
            if (content is null || id < 0)
            {
                throw new TokenizerException(source, $"added token {t.GetRawText()} needs an id and a content");
            }

            var special = t.Bool("special", false);
            tokens.Add(new AddedToken(
                id,
                content,
                special,
                t.Bool("single_word", false),
                t.Bool("lstrip", false),
                t.Bool("rstrip", false),
                t.Bool("normalized", !special)));
        }

        return tokens;
    }
}
