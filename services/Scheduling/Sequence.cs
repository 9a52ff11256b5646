using System.Runtime.InteropServices;

namespace Platform.Engine.Scheduling;

/// <summary>
/// One generation request as the scheduler sees it: its tokens, how many of them have KV in the cache,
/// and the blocks holding that KV. Not thread-safe; it belongs to the engine loop.
/// </summary>
public sealed class Sequence
{
    private readonly List<int> _tokenIds;
    private readonly List<int> _blockTable = [];
    private int _numComputedTokens;

    /// <param name="id">The caller's id for the request; the scheduler does not interpret it.</param>
    /// <param name="promptTokenIds">The prompt; copied, must not be empty.</param>
    /// <param name="cacheSalt">Extra prefix-cache key (LoRA adapter id, tenant) so that prefix reuse never mixes
    /// KV computed under different adapters or for different tenants. 0 is the shared default.</param>
    public Sequence(long id, IReadOnlyList<int> promptTokenIds, ulong cacheSalt = 0)
    {
        ArgumentNullException.ThrowIfNull(promptTokenIds);
        if (promptTokenIds.Count == 0)
        {
            throw new ArgumentException($"Sequence {id} has an empty prompt; at least one token is needed to produce logits.", nameof(promptTokenIds));
        }

        Id = id;
        CacheSalt = cacheSalt;
        _tokenIds = [.. promptTokenIds];
        PromptLength = _tokenIds.Count;
        TokenIds = _tokenIds.AsReadOnly();
        BlockTable = _blockTable.AsReadOnly();
    }

    public long Id { get; }

    public ulong CacheSalt { get; }

    /// <summary>Prompt followed by the tokens generated so far (a live view).</summary>
    public IReadOnlyList<int> TokenIds { get; }

    public int PromptLength { get; }

    public int TokenCount => _tokenIds.Count;

    public int NumGeneratedTokens => _tokenIds.Count - PromptLength;

    /// <summary>
    /// Leading tokens whose KV is in this sequence's blocks (prefix hits, imported, computed). The scheduler
    /// owns it; the setter exists for engine code that fills KV itself, and must stay within the blocks held.
    /// </summary>
    public int NumComputedTokens
    {
        get => _numComputedTokens;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, TokenCount);
            _numComputedTokens = value;
        }
    }

    /// <summary>Prompt tokens served from the prefix cache at first admission (OpenAI usage.cached_tokens).
    /// A sequence resumed after preemption keeps the value of its first admission.</summary>
    public int NumCachedPromptTokens { get; internal set; }

    /// <summary>
    /// Leading tokens whose KV may be registered in the prefix cache; blocks past it never are. A blended
    /// (CacheBlend) prompt sets it to the start of its first reused chunk: from there on its KV is an
    /// approximation, not the KV of those tokens, and must never be served to another request as exact.
    /// </summary>
    public int PrefixCacheableTokens { get; set; } = int.MaxValue;

    /// <summary>Physical block ids (a live view); block i holds positions [i * BlockSize, (i + 1) * BlockSize).</summary>
    public IReadOnlyList<int> BlockTable { get; }

    public SequenceStatus Status { get; internal set; } = SequenceStatus.Waiting;

    /// <summary>FCFS key assigned by the scheduler when the sequence is added; -1 before that.</summary>
    public long ArrivalOrder { get; internal set; } = -1;

    /// <summary>Times the sequence lost its blocks to a preemption and had to be recomputed.</summary>
    public int NumPreemptions { get; internal set; }

    /// <summary>Appends a sampled token. Its KV is computed in a later step.</summary>
    public void AppendToken(int tokenId)
    {
        if (Status == SequenceStatus.Finished)
        {
            throw new InvalidOperationException($"Sequence {Id} is finished; no token can be appended.");
        }

        _tokenIds.Add(tokenId);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"Sequence {Id} ({Status}, {NumComputedTokens}/{TokenCount} computed, {_blockTable.Count} blocks)";

    /// <summary>The scheduler that accepted this sequence; a sequence is never shared between two.</summary>
    internal Scheduler? Owner { get; set; }

    internal List<int> MutableBlockTable => _blockTable;

    /// <summary>Leading blocks of <see cref="BlockTable"/> registered in (or hit from) the prefix cache as one
    /// verified chain; registration continues from here.</summary>
    internal int NumHashedBlocks { get; set; }

    /// <summary>Set when a block of this sequence could not join the prefix cache (same content cached by
    /// another block, a hash collision, or a reset): later blocks would chain to it, so they are not cached either.</summary>
    internal bool PrefixChainClosed { get; set; }

    internal ReadOnlySpan<int> TokenSpan(int start, int count) =>
        CollectionsMarshal.AsSpan(_tokenIds).Slice(start, count);
}
