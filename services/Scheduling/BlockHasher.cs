namespace Platform.Engine.Scheduling;

/// <summary>Chained hash of one full block: (parent block's hash, cache salt, the block's token ids).</summary>
/// <remarks>Injectable so that tests can force collisions; hits are verified, so any function is safe.</remarks>
internal delegate UInt128 BlockHasher(UInt128 parentHash, ulong salt, ReadOnlySpan<int> tokenIds);
