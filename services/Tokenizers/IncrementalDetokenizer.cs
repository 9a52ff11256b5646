namespace Platform.Tokenizers;

/// <summary>
/// Turns one sequence's generated ids into text deltas as they arrive, the way vLLM does: each step
/// decodes a short window (prefix offset .. end) and emits what extends the window's previous text.
/// Decoding a window rather than single tokens keeps SentencePiece's "strip the first space" rule
/// applied only where the sequence starts, and a delta ending in U+FFFD (a character still missing
/// bytes) is held back until the character completes.
/// </summary>
public sealed class IncrementalDetokenizer
{
    // vLLM starts the window this many tokens before the end of the prompt, so the first generated
    // token is decoded with context (keeping its leading space) without re-decoding the whole prompt.
    private const int PromptContextTokens = 5;
    private const char ReplacementChar = '\uFFFD';

    private readonly Tokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private readonly List<int> _ids;
    private int _prefixOffset;
    private int _readOffset;

    /// <summary>Starts detokenizing one sequence.</summary>
    /// <param name="tokenizer">The tokenizer that produced the ids.</param>
    /// <param name="promptIds">Ids already shown (the prompt): context only, never emitted.</param>
    /// <param name="skipSpecialTokens">Leave out special tokens, as <see cref="Tokenizer.Decode(IReadOnlyList{int}, bool)"/> does.</param>
    public IncrementalDetokenizer(Tokenizer tokenizer, IEnumerable<int>? promptIds = null, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
        _ids = promptIds is null ? [] : [.. promptIds];
        _readOffset = _ids.Count;
        _prefixOffset = Math.Max(_readOffset - PromptContextTokens, 0);

        // A prompt ending inside a character: that character has not been shown yet, so it belongs to the output.
        while (_readOffset > _prefixOffset && DecodeWindow(_readOffset).EndsWith(ReplacementChar))
        {
            _readOffset--;
        }
    }

    /// <summary>All ids seen so far, prompt included.</summary>
    public IReadOnlyList<int> TokenIds => _ids;

    /// <summary>Adds the next generated id and returns the newly completed text (often empty).</summary>
    public string Add(int tokenId)
    {
        _ids.Add(tokenId);
        var prefixText = DecodeWindow(_readOffset);
        var newText = DecodeWindow(_ids.Count);
        if (newText.Length <= prefixText.Length || newText.EndsWith(ReplacementChar))
        {
            return string.Empty;
        }

        _prefixOffset = _readOffset;
        _readOffset = _ids.Count;
        return newText[prefixText.Length..];
    }

    /// <summary>Ends the sequence: returns whatever was held back, U+FFFD included for incomplete bytes.</summary>
    public string Flush()
    {
        var prefixText = DecodeWindow(_readOffset);
        var newText = DecodeWindow(_ids.Count);
        _prefixOffset = _readOffset = _ids.Count;
        return newText.Length > prefixText.Length ? newText[prefixText.Length..] : string.Empty;
    }

    private string DecodeWindow(int end) => _tokenizer.Decode(_ids, _prefixOffset, end - _prefixOffset, _skipSpecialTokens);
}
