using Platform.ChunkStore.Format;
using Platform.ChunkStore.Keys;

namespace Platform.ChunkStore.Redis;

/// <summary>A chunk found in the store: its key and header (token ids, shapes, layer table).</summary>
public sealed record StoredChunk(TenantNamespace Namespace, ChunkKey Key, ChunkKvHeader Header);
