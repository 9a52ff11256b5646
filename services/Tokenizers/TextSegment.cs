namespace Platform.Tokenizers;

/// <summary>A piece of input: either plain text still to tokenize, or an added token already resolved to its id.</summary>
internal readonly record struct TextSegment(string? Text, int TokenId, bool AtTextStart)
{
    public bool IsToken => Text is null;

    public static TextSegment ForText(string text, bool atTextStart) => new(text, -1, atTextStart);

    public static TextSegment ForToken(int id) => new(null, id, false);
}
