using Platform.ChunkStore.Keys;

namespace Platform.Gateway.Rag;

/// <summary>The adapter missed chunks are computed under: the name it is served as to the tenant, and its engine name, directory and chunk-key id.</summary>
internal sealed record WriteBackAdapter(string ServedName, ChunkAdapter Chunk);
