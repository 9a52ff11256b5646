namespace Platform.Tokenizers;

/// <summary>The parsed pieces of a tokenizer.json, before tokenizer_config.json is applied.</summary>
internal sealed record TokenizerDefinition(
    BpeModel Model,
    IReadOnlyList<AddedToken> AddedTokens,
    INormalizer? Normalizer,
    IPreTokenizer? PreTokenizer,
    IDecoder? Decoder,
    SpecialTokenTemplate Template);
