namespace Platform.Tokenizers;

/// <summary>A tokenizer.json <c>pre_tokenizer</c>: splits (and possibly rewrites) a piece into smaller pieces.</summary>
internal interface IPreTokenizer
{
    void PreTokenize(PreToken piece, List<PreToken> output);
}
