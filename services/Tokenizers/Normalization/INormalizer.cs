namespace Platform.Tokenizers;

/// <summary>A tokenizer.json <c>normalizer</c>: rewrites a text segment before pre-tokenization.</summary>
internal interface INormalizer
{
    string Normalize(string text);
}
