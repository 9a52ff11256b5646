namespace Platform.Tokenizers;

/// <summary>
/// A Hugging Face tokenizer.json BPE tokenizer (SentencePiece-style with byte fallback, or byte-level
/// like GPT-2, Llama 3 and Qwen2). Immutable after loading and safe to share across threads.
/// </summary>
public sealed partial class Tokenizer
{
    private readonly TokenizerDefinition _definition;
    private readonly string?[] _idToToken;
    private readonly bool[] _isSpecial;
    private readonly Dictionary<string, int> _addedByContent;
    private readonly AddedTokenSplitter _rawAll;
    private readonly AddedTokenSplitter _rawNonSpecial;
    private readonly AddedTokenSplitter _normalizedAll;
    private readonly AddedTokenSplitter _normalizedNonSpecial;
    private readonly SpecialTokenTemplate _template;

    private Tokenizer(TokenizerDefinition definition, TokenizerConfig config)
    {
        _definition = definition;
        var added = definition.AddedTokens;
        var size = Math.Max(definition.Model.Vocab.Values.Max(), added.Select(a => a.Id).DefaultIfEmpty(-1).Max()) + 1;
        _idToToken = new string?[size];
        _isSpecial = new bool[size];
        foreach (var (token, id) in definition.Model.Vocab)
        {
            _idToToken[id] = token;
        }

        _addedByContent = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var a in added)
        {
            _idToToken[a.Id] = a.Content;
            _isSpecial[a.Id] = a.IsSpecial;
            _addedByContent[a.Content] = a.Id;
        }

        _rawAll = new(added.Where(a => !a.Normalized));
        _rawNonSpecial = new(added.Where(a => !a.Normalized && !a.IsSpecial));
        _normalizedAll = new(added.Where(a => a.Normalized));
        _normalizedNonSpecial = new(added.Where(a => a.Normalized && !a.IsSpecial));

        BosToken = config.BosToken;
        EosToken = config.EosToken;
        BosTokenId = BosToken is null ? null : TokenToId(BosToken);
        EosTokenId = EosToken is null ? null : TokenToId(EosToken);
        EosTokenIds = new[] { EosTokenId }.OfType<int>().Concat(config.GenerationEosTokenIds ?? []).Distinct().ToArray();
        ChatTemplate = config.ChatTemplate;
        _template = definition.Template.WithOverrides(config.AddBosToken, BosTokenId, config.AddEosToken, EosTokenId);
    }

    /// <summary>Number of ids: one more than the largest id in the vocab or the added tokens.</summary>
    public int VocabSize => _idToToken.Length;

    /// <summary>The beginning-of-sequence token text from tokenizer_config.json, if any.</summary>
    public string? BosToken { get; }

    /// <summary>The end-of-sequence token text from tokenizer_config.json, if any.</summary>
    public string? EosToken { get; }

    /// <summary>The id of <see cref="BosToken"/>, if it is known.</summary>
    public int? BosTokenId { get; }

    /// <summary>The id of <see cref="EosToken"/>, if it is known.</summary>
    public int? EosTokenId { get; }

    /// <summary>Every id that ends generation: <see cref="EosTokenId"/> plus generation_config.json's eos_token_id.</summary>
    public IReadOnlyList<int> EosTokenIds { get; }

    /// <summary>The Jinja chat template from tokenizer_config.json (or chat_template.jinja), unrendered.</summary>
    public string? ChatTemplate { get; }

    /// <summary>The added tokens (special or not) declared in tokenizer.json.</summary>
    public IReadOnlyList<AddedToken> AddedTokens => _definition.AddedTokens;

    /// <summary>The id of a token string (added tokens first, then the model vocab), or null.</summary>
    public int? TokenToId(string token) =>
        _addedByContent.TryGetValue(token, out var id) || _definition.Model.Vocab.TryGetValue(token, out id) ? id : null;

    /// <summary>The token string of an id (in the model's alphabet, e.g. "▁the" or "Ġthe"), or null.</summary>
    public string? IdToToken(int id) => (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;

    /// <summary>Whether <paramref name="id"/> is an added token marked special.</summary>
    public bool IsSpecial(int id) => (uint)id < (uint)_isSpecial.Length && _isSpecial[id];

    /// <summary>Encodes text to ids.</summary>
    /// <param name="text">The text to encode.</param>
    /// <param name="addSpecialTokens">Apply the post-processor (e.g. prepend BOS).</param>
    /// <param name="parseSpecialTokens">
    /// Recognise special tokens written in <paramref name="text"/> (needed for rendered chat templates);
    /// false encodes them as plain text, which is what untrusted user content wants.
    /// </param>
    public int[] Encode(string text, bool addSpecialTokens = true, bool parseSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        if (addSpecialTokens)
        {
            ids.AddRange(_template.Prefix);
        }

        var segments = new List<TextSegment>();
        (parseSpecialTokens ? _rawAll : _rawNonSpecial).Split(text, atTextStart: true, segments);
        var normalizedSplitter = parseSpecialTokens ? _normalizedAll : _normalizedNonSpecial;
        var inner = new List<TextSegment>();
        var words = new List<PreToken>();
        foreach (var segment in segments)
        {
            if (segment.IsToken)
            {
                ids.Add(segment.TokenId);
                continue;
            }

            var normalized = _definition.Normalizer?.Normalize(segment.Text!) ?? segment.Text!;
            inner.Clear();
            normalizedSplitter.Split(normalized, segment.AtTextStart, inner);
            foreach (var piece in inner)
            {
                if (piece.IsToken)
                {
                    ids.Add(piece.TokenId);
                    continue;
                }

                words.Clear();
                PreTokenize(new PreToken(piece.Text!, piece.AtTextStart), words);
                foreach (var word in words)
                {
                    _definition.Model.Encode(word.Text, ids);
                }
            }
        }

        if (addSpecialTokens)
        {
            ids.AddRange(_template.Suffix);
        }

        return [.. ids];
    }

    /// <summary>Decodes ids to text; the exact inverse of <see cref="Encode"/> for text the vocab can express.</summary>
    /// <param name="ids">Token ids; unknown ids are ignored, as in Hugging Face.</param>
    /// <param name="skipSpecialTokens">Leave out special added tokens (BOS, EOS, chat markers).</param>
    public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return Decode(ids, 0, ids.Count, skipSpecialTokens);
    }

    internal string Decode(IReadOnlyList<int> ids, int start, int count, bool skipSpecialTokens)
    {
        var tokens = new List<string>(count);
        for (var i = start; i < start + count; i++)
        {
            var id = ids[i];
            if (IdToToken(id) is { } token && !(skipSpecialTokens && IsSpecial(id)))
            {
                tokens.Add(token);
            }
        }

        return _definition.Decoder is { } decoder
            ? string.Concat(decoder.DecodeChain(tokens))
            : string.Join(' ', tokens);
    }

    private void PreTokenize(PreToken piece, List<PreToken> words)
    {
        if (_definition.PreTokenizer is { } preTokenizer)
        {
            preTokenizer.PreTokenize(piece, words);
        }
        else
        {
            words.Add(piece);
        }
    }
}
