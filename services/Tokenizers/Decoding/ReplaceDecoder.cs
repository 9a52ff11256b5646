namespace Platform.Tokenizers;

internal sealed class ReplaceDecoder(ReplaceNormalizer replace) : IDecoder
{
    public List<string> DecodeChain(List<string> tokens) => tokens.ConvertAll(replace.Normalize);
}
