namespace Platform.Tokenizers;

/// <summary>What a Split pre-tokenizer does with the delimiters it finds (tokenizer.json <c>behavior</c>).</summary>
internal enum SplitBehavior
{
    Removed,
    Isolated,
    MergedWithPrevious,
    MergedWithNext,
    Contiguous,
}
