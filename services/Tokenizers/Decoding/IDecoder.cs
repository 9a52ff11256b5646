namespace Platform.Tokenizers;

/// <summary>A tokenizer.json <c>decoder</c>: rewrites the token strings of a sequence; the results are concatenated.</summary>
internal interface IDecoder
{
    List<string> DecodeChain(List<string> tokens);
}
