namespace Platform.Tokenizers;

/// <summary>An entry of tokenizer.json's <c>added_tokens</c>: matched in the text before the model sees it.</summary>
/// <param name="Id">The token id.</param>
/// <param name="Content">The literal text of the token.</param>
/// <param name="IsSpecial">Special tokens can be skipped when decoding and left unparsed when encoding.</param>
/// <param name="SingleWord">Only matches when not inside a word.</param>
/// <param name="LStrip">Absorbs the whitespace to its left.</param>
/// <param name="RStrip">Absorbs the whitespace to its right.</param>
/// <param name="Normalized">Matched against the normalized text rather than the raw text.</param>
public sealed record AddedToken(
    int Id,
    string Content,
    bool IsSpecial,
    bool SingleWord = false,
    bool LStrip = false,
    bool RStrip = false,
    bool Normalized = false);
