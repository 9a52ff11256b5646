namespace Platform.Engine.Scheduling;

/// <summary>
/// Doubly linked queue of free blocks, threaded through the blocks themselves (as vLLM's
/// FreeKVCacheBlockQueue): allocation pops the head, freed blocks go to the tail, and a prefix hit takes a
/// free cached block out of the middle in O(1). The head is therefore the least recently freed block,
/// which makes eviction of cached blocks LRU.
/// </summary>
internal sealed class FreeBlockQueue
{
    private KvBlock? _head;
    private KvBlock? _tail;

    public int Count { get; private set; }

    public void PushBack(KvBlock block)
    {
        if (block.IsInFreeQueue)
        {
            throw new InvalidOperationException($"Block {block.Id} is already free.");
        }

        block.PrevFree = _tail;
        block.NextFree = null;
        if (_tail is null)
        {
            _head = block;
        }
        else
        {
            _tail.NextFree = block;
        }

        _tail = block;
        block.IsInFreeQueue = true;
        Count++;
    }

    public KvBlock PopFront()
    {
        var block = _head ?? throw new InvalidOperationException("No free KV block.");
        Remove(block);
        return block;
    }

    public void Remove(KvBlock block)
    {
        if (!block.IsInFreeQueue)
        {
            throw new InvalidOperationException($"Block {block.Id} is not in the free queue.");
        }

        if (block.PrevFree is null)
        {
            _head = block.NextFree;
        }
        else
        {
            block.PrevFree.NextFree = block.NextFree;
        }

        if (block.NextFree is null)
        {
            _tail = block.PrevFree;
        }
        else
        {
            block.NextFree.PrevFree = block.PrevFree;
        }

        block.PrevFree = null;
        block.NextFree = null;
        block.IsInFreeQueue = false;
        Count--;
    }

    /// <summary>Block ids from head (next to be allocated) to tail.</summary>
    public IEnumerable<int> Ids()
    {
        for (var block = _head; block is not null; block = block.NextFree)
        {
            yield return block.Id;
        }
    }
}
