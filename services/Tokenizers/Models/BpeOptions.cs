namespace Platform.Tokenizers;

/// <summary>The BPE model flags from tokenizer.json's <c>model</c> object.</summary>
internal sealed record BpeOptions(string? UnkToken, bool FuseUnk, bool ByteFallback, bool IgnoreMerges);
