using Platform.ChunkStore.Keys;

namespace Platform.KvStore.Ingest;

/// <summary>One chunk to ingest: whose, from which document, at which index, and its token ids.</summary>
public sealed record IngestWork(TenantNamespace Tenant, string DocumentId, int Index, int[] TokenIds);
