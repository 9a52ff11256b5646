using System.Diagnostics;

namespace Platform.Engine.Scheduling;

/// <summary>
/// The KV block pool and its prefix cache (vLLM v1's BlockPool + KVCacheManager, without tensors).
/// Blocks have ids 0..NumTotalBlocks-1, a reference count and a place in an LRU free queue. Full blocks are
/// registered under a chained hash of (parent hash, cache salt, token ids); a free block keeps its cached
/// content and stays hittable until it is reused for new data. Owned and mutated by one <see cref="Scheduler"/>.
/// </summary>
public sealed class KvCacheManager
{
    private readonly KvBlock[] _blocks;
    private readonly FreeBlockQueue _free = new();
    private readonly Dictionary<UInt128, KvBlock> _cachedByHash = [];
    private readonly BlockHasher _hasher;
    private long _lastStamp;

    internal KvCacheManager(int numBlocks, int blockSize, bool enablePrefixCaching, BlockHasher? hasher = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numBlocks);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        BlockSize = blockSize;
        PrefixCachingEnabled = enablePrefixCaching;
        _hasher = hasher ?? BlockHashing.XxHash128Chained;
        _blocks = new KvBlock[numBlocks];
        for (var id = 0; id < numBlocks; id++)
        {
            _blocks[id] = new KvBlock(id);
            _free.PushBack(_blocks[id]);
        }
    }

    public int BlockSize { get; }

    public bool PrefixCachingEnabled { get; }

    public int NumTotalBlocks => _blocks.Length;

    /// <summary>Blocks not held by any sequence, cached ones included (they are reclaimed on demand).</summary>
    public int NumFreeBlocks => _free.Count;

    /// <summary>Fraction of blocks held by sequences, 0..1 (kv_cache_usage_perc).</summary>
    public double Usage => 1.0 - ((double)_free.Count / _blocks.Length);

    /// <summary>Blocks currently registered in the prefix cache, held or free.</summary>
    public int NumCachedBlocks => _cachedByHash.Count;

    /// <summary>Tokens looked up in the prefix cache at admission (prefix_cache_queries).</summary>
    public long PrefixCacheQueries { get; private set; }

    /// <summary>Of <see cref="PrefixCacheQueries"/>, tokens served from the cache (prefix_cache_hits).</summary>
    public long PrefixCacheHits { get; private set; }

    /// <summary>
    /// Forgets every cached block (after a weight update, or for a cold benchmark). Blocks in use stay with
    /// their sequences but are no longer shared with new ones. Returns the number of entries dropped.
    /// </summary>
    public int ResetPrefixCache()
    {
        var dropped = _cachedByHash.Count;
        foreach (var block in _cachedByHash.Values)
        {
            block.ClearCache();
        }

        _cachedByHash.Clear();
        return dropped;
    }

    /// <summary>
    /// The longest verified chain of cached full blocks at the start of <paramref name="sequence"/>, leaving
    /// at least its last token uncached so that a step computes it and yields logits. No side effects.
    /// </summary>
    internal IReadOnlyList<int> FindCachedPrefix(Sequence sequence)
    {
        if (!PrefixCachingEnabled)
        {
            return [];
        }

        var hits = new List<int>();
        var parentHash = BlockHashing.Root;
        var parentStamp = 0L;
        var maxBlocks = (sequence.TokenCount - 1) / BlockSize;
        for (var i = 0; i < maxBlocks; i++)
        {
            var tokens = sequence.TokenSpan(i * BlockSize, BlockSize);
            var hash = _hasher(parentHash, sequence.CacheSalt, tokens);
            if (!_cachedByHash.TryGetValue(hash, out var block)
                || block.ParentStamp != parentStamp
                || block.Salt != sequence.CacheSalt
                || !tokens.SequenceEqual(block.Tokens))
            {
                break;
            }

            hits.Add(block.Id);
            parentHash = hash;
            parentStamp = block.Stamp;
        }

        return hits;
    }

    internal void RecordPrefixLookup(int queriedTokens, int hitTokens)
    {
        PrefixCacheQueries += queriedTokens;
        PrefixCacheHits += hitTokens;
    }

    /// <summary>Blocks <paramref name="sequence"/> would have to take from the free queue to cover
    /// positions [0, <paramref name="numTokens"/>), counting free cached blocks it would hit.</summary>
    internal int BlocksNeeded(Sequence sequence, int numTokens, IReadOnlyList<int> cachedPrefix)
    {
        var newBlocks = Math.Max(0, BlocksFor(numTokens) - sequence.BlockTable.Count - cachedPrefix.Count);
        var revivedBlocks = 0;
        foreach (var id in cachedPrefix)
        {
            revivedBlocks += _blocks[id].RefCount == 0 ? 1 : 0;
        }

        return newBlocks + revivedBlocks;
    }

    /// <summary>
    /// Makes the block table cover positions [0, <paramref name="numTokens"/>): first takes the hit blocks of
    /// <paramref name="cachedPrefix"/> (only for a sequence holding none yet), then new blocks from the head of
    /// the free queue. All or nothing: false, with nothing changed, when the pool cannot supply them.
    /// </summary>
    internal bool TryAllocate(Sequence sequence, int numTokens, IReadOnlyList<int> cachedPrefix)
    {
        if (numTokens > sequence.TokenCount)
        {
            throw new InvalidOperationException($"{sequence}: cannot allocate KV for {numTokens} tokens beyond its {sequence.TokenCount}.");
        }

        if (cachedPrefix.Count > 0 && sequence.BlockTable.Count > 0)
        {
            throw new InvalidOperationException($"{sequence}: prefix hits apply only to a sequence holding no blocks.");
        }

        if (BlocksNeeded(sequence, numTokens, cachedPrefix) > _free.Count)
        {
            return false;
        }

        // Hits are taken before any new block is popped, so that popping cannot evict a block just hit.
        var table = sequence.MutableBlockTable;
        foreach (var id in cachedPrefix)
        {
            var block = _blocks[id];
            if (block.RefCount == 0)
            {
                _free.Remove(block);
            }

            block.RefCount++;
            table.Add(id);
        }

        sequence.NumHashedBlocks += cachedPrefix.Count;
        for (var needed = BlocksFor(numTokens); table.Count < needed;)
        {
            table.Add(TakeFreeBlock().Id);
        }

        return true;
    }

    /// <summary>Releases the sequence's blocks, last block first: freed blocks join the tail of the free
    /// queue, so a sequence's tail blocks are evicted before the prefix others are likelier to share.</summary>
    internal void Free(Sequence sequence)
    {
        var table = sequence.MutableBlockTable;
        for (var i = table.Count - 1; i >= 0; i--)
        {
            var block = _blocks[table[i]];
            Debug.Assert(block.RefCount > 0, $"block {block.Id} released more often than taken");
            if (--block.RefCount == 0)
            {
                _free.PushBack(block);
            }
        }

        table.Clear();
        sequence.NumHashedBlocks = 0;
        sequence.PrefixChainClosed = false;
    }

    /// <summary>Registers the sequence's full, computed blocks that are not registered yet, each chained to
    /// the one before it.</summary>
    internal void CacheFullBlocks(Sequence sequence)
    {
        if (!PrefixCachingEnabled)
        {
            return;
        }

        var fullBlocks = Math.Min(Math.Min(sequence.NumComputedTokens, sequence.PrefixCacheableTokens) / BlockSize, sequence.BlockTable.Count);
        while (!sequence.PrefixChainClosed && sequence.NumHashedBlocks < fullBlocks)
        {
            var i = sequence.NumHashedBlocks;
            var parentHash = BlockHashing.Root;
            var parentStamp = 0L;
            if (i > 0)
            {
                var parent = _blocks[sequence.BlockTable[i - 1]];
                // A reset dropped the parent: a child registered now could never be reached by a lookup.
                if (!parent.IsCached)
                {
                    sequence.PrefixChainClosed = true;
                    break;
                }

                parentHash = parent.Hash;
                parentStamp = parent.Stamp;
            }

            var tokens = sequence.TokenSpan(i * BlockSize, BlockSize);
            var hash = _hasher(parentHash, sequence.CacheSalt, tokens);
            // Taken by the same content computed concurrently by another sequence, or by a collision: the
            // first registration stays, and this sequence's later blocks are left out of the cache.
            if (_cachedByHash.ContainsKey(hash))
            {
                sequence.PrefixChainClosed = true;
                break;
            }

            var block = _blocks[sequence.BlockTable[i]];
            Debug.Assert(!block.IsCached, $"block {block.Id} of {sequence} is past its hashed prefix but cached");
            block.Hash = hash;
            block.Stamp = ++_lastStamp;
            block.ParentStamp = parentStamp;
            block.Salt = sequence.CacheSalt;
            block.Tokens = tokens.ToArray();
            _cachedByHash.Add(hash, block);
            sequence.NumHashedBlocks++;
        }
    }

    internal int BlocksFor(int numTokens) => (numTokens + BlockSize - 1) / BlockSize;

    internal int RefCount(int blockId) => _blocks[blockId].RefCount;

    internal bool IsCached(int blockId) => _blocks[blockId].IsCached;

    internal bool IsFree(int blockId) => _blocks[blockId].IsInFreeQueue;

    /// <summary>Free block ids from the next to be allocated to the last.</summary>
    internal IReadOnlyList<int> FreeQueueIds() => [.. _free.Ids()];

    private KvBlock TakeFreeBlock()
    {
        var block = _free.PopFront();
        if (block.IsCached)
        {
            // Reused for new data: its old content is gone, so it must no longer be found.
            _cachedByHash.Remove(block.Hash);
            block.ClearCache();
        }

        block.RefCount = 1;
        return block;
    }
}
