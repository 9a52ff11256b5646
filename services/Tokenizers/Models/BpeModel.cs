using System.Text;

namespace Platform.Tokenizers;

/// <summary>The BPE model: initial symbols per character (or byte fallback / unk), then ranked merges.</summary>
internal sealed class BpeModel
{
    // Hugging Face caches words shorter than this; longer ones (a whole SentencePiece line) rarely repeat.
    private const int MaxCachedWordLength = 256;
    private const int CacheCapacity = 10_000;

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabBySpan;
    private readonly Dictionary<long, (int Rank, int NewId)> _merges;
    private readonly BpeOptions _options;
    private readonly int _unkId;
    private readonly int[]? _byteIds;
    private readonly BoundedCache<string, int[]> _cache = new(CacheCapacity);

    public BpeModel(Dictionary<string, int> vocab, Dictionary<long, (int Rank, int NewId)> merges, BpeOptions options, string source)
    {
        _vocab = vocab;
        _vocabBySpan = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _merges = merges;
        _options = options;
        _unkId = -1;
        if (options.UnkToken is { } unk)
        {
            // Hugging Face only fails when an unknown character actually needs the unk token; failing early is clearer.
            _unkId = vocab.TryGetValue(unk, out var id)
                ? id
                : throw new TokenizerException(source, $"unk_token '{unk}' is not in the vocab");
        }

        _byteIds = options.ByteFallback ? BuildByteIds(vocab) : null;
    }

    public IReadOnlyDictionary<string, int> Vocab => _vocab;

    /// <summary>Appends the ids of one pre-token.</summary>
    public void Encode(string word, List<int> output)
    {
        if (_options.IgnoreMerges && _vocab.TryGetValue(word, out var whole))
        {
            output.Add(whole);
            return;
        }

        if (_cache.TryGet(word, out var cached))
        {
            output.AddRange(cached);
            return;
        }

        var symbols = InitialSymbols(word);
        BpeWordMerger.MergeAll(symbols, _merges);
        if (word.Length < MaxCachedWordLength)
        {
            _cache.TryAdd(word, [.. symbols]);
        }

        output.AddRange(symbols);
    }

    private List<int> InitialSymbols(string word)
    {
        var symbols = new List<int>(word.Length);
        var pendingUnk = false;
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < word.Length;)
        {
            var length = char.IsSurrogatePair(word, i) ? 2 : 1;
            var piece = word.AsSpan(i, length);
            i += length;
            if (_vocabBySpan.TryGetValue(piece, out var id))
            {
                FlushUnk(symbols, ref pendingUnk);
                symbols.Add(id);
                continue;
            }

            if (_byteIds is not null && TryAddBytes(piece, utf8, symbols, ref pendingUnk))
            {
                continue;
            }

            if (_unkId >= 0)
            {
                if (pendingUnk && !_options.FuseUnk)
                {
                    symbols.Add(_unkId);
                }

                pendingUnk = true;
            }
        }

        FlushUnk(symbols, ref pendingUnk);
        return symbols;
    }

    private bool TryAddBytes(ReadOnlySpan<char> piece, Span<byte> utf8, List<int> symbols, ref bool pendingUnk)
    {
        // A lone surrogate has no UTF-8 form; Rust strings cannot hold one, so U+FFFD is the faithful stand-in.
        var count = Encoding.UTF8.GetBytes(piece, utf8);
        for (var b = 0; b < count; b++)
        {
            if (_byteIds![utf8[b]] < 0)
            {
                return false;
            }
        }

        // Byte tokens do not flush a pending unk in Hugging Face either (it only flushes on a vocab hit).
        for (var b = 0; b < count; b++)
        {
            symbols.Add(_byteIds![utf8[b]]);
        }

        return true;
    }

    private void FlushUnk(List<int> symbols, ref bool pendingUnk)
    {
        if (pendingUnk)
        {
            symbols.Add(_unkId);
            pendingUnk = false;
        }
    }

    private static int[] BuildByteIds(Dictionary<string, int> vocab)
    {
        var ids = new int[256];
        for (var b = 0; b < 256; b++)
        {
            ids[b] = vocab.TryGetValue($"<0x{b:X2}>", out var id) ? id : -1;
        }

        return ids;
    }
}
