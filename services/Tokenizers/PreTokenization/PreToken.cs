namespace Platform.Tokenizers;

/// <summary>A word the model encodes on its own; <see cref="AtTextStart"/> marks the piece at offset 0 of the input.</summary>
internal readonly record struct PreToken(string Text, bool AtTextStart);
