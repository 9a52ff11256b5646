namespace Platform.ChunkStore.Format;

/// <summary>Where one layer's K then V lie in a stored value, and the CRC-32 (IEEE) of those bytes.</summary>
public sealed record ChunkLayerEntry(long Offset, int Length, uint Crc32);
