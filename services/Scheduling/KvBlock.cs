namespace Platform.Engine.Scheduling;

/// <summary>One physical KV block's bookkeeping: who uses it, and what it caches.</summary>
internal sealed class KvBlock(int id)
{
    public int Id { get; } = id;

    /// <summary>Sequences whose block table holds this block. 0: the block is in the free queue.</summary>
    public int RefCount { get; set; }

    /// <summary>Chained hash of the full block, valid while <see cref="Stamp"/> is non-zero.</summary>
    public UInt128 Hash { get; set; }

    /// <summary>
    /// Unique per registration, 0 when the block caches nothing. A child block records its parent's stamp,
    /// so a hit is verified against the exact parent block content it was computed after, not just a hash
    /// that another prefix could collide with.
    /// </summary>
    public long Stamp { get; set; }

    public long ParentStamp { get; set; }

    public ulong Salt { get; set; }

    /// <summary>The token ids the cached KV was computed for; compared on every hit.</summary>
    public int[]? Tokens { get; set; }

    public bool IsCached => Stamp != 0;

    // Links of the free queue; null while the block is in use.
    public KvBlock? PrevFree { get; set; }

    public KvBlock? NextFree { get; set; }

    public bool IsInFreeQueue { get; set; }

    public void ClearCache()
    {
        Hash = default;
        Stamp = 0;
        ParentStamp = 0;
        Salt = 0;
        Tokens = null;
    }
}
