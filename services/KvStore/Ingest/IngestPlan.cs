using Platform.Contracts.KvStore.V1;

namespace Platform.KvStore.Ingest;

/// <summary>
/// A checked ingest request: every chunk to store, the documents to record with their metadata, and the LoRA
/// adapter the chunks are computed under (null for the base model).
/// </summary>
public sealed record IngestPlan(IReadOnlyList<IngestWork> Work, IReadOnlyList<Document> Documents, ChunkStore.Keys.ChunkAdapter? Adapter = null);
