using Platform.ChunkStore.Redis;

namespace Platform.ChunkStore.Blending;

/// <summary>A run of prompt tokens and, for a retrieved chunk found in the store, the stored chunk (null: computed).</summary>
public sealed record PlannedSegment(int Start, int Length, StoredChunk? Chunk = null);
