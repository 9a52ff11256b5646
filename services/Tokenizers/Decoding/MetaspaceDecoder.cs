namespace Platform.Tokenizers;

/// <summary>"▁" back to spaces; the first token loses its "▁" when the pre-tokenizer would have prepended one.</summary>
internal sealed class MetaspaceDecoder(char replacement, bool stripFirst) : IDecoder
{
    public List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        for (var i = 0; i < tokens.Count; i++)
        {
            // Hugging Face drops every "▁" of the first token, not only a leading one; kept for identical output.
            result.Add(i == 0 && stripFirst
                ? tokens[i].Replace(replacement.ToString(), string.Empty, StringComparison.Ordinal)
                : tokens[i].Replace(replacement, ' '));
        }

        return result;
    }
}
