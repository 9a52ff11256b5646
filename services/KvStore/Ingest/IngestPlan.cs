using Platform.Contracts.KvStore.V1;

namespace Platform.KvStore.Ingest;

/// <summary>A checked ingest request: every chunk to store, and the documents to record with their metadata.</summary>
public sealed record IngestPlan(IReadOnlyList<IngestWork> Work, IReadOnlyList<Document> Documents);
