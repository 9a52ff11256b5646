namespace Platform.Tokenizers;

/// <summary>When the Metaspace pre-tokenizer prepends "▁": to every piece, to the piece at the start of the input, or never.</summary>
internal enum PrependScheme
{
    Always,
    First,
    Never,
}
