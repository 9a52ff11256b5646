using Microsoft.Extensions.Logging;
using Platform.ChunkStore.Keys;
using Platform.ChunkStore.Redis;
using Platform.Engine.Serving;

namespace Platform.ChunkStore.Computing;

/// <summary>
/// Puts chunks into the store with an engine: a chunk already stored for the tenant is neither computed nor
/// written again (idempotent ingest), a missing one is computed and written with SET NX. Used by the KvStore
/// service's ingest and by the write-back of chunks that missed in a RAG request.
/// </summary>
public sealed partial class ChunkIngestor(RedisChunkStore store, ILogger<ChunkIngestor> logger)
{
    /// <summary>
    /// Stores one chunk, computed under <paramref name="adapter"/> when given and keyed by <paramref name="model"/>
    /// (the base model's identity) with the adapter's id; the outcome says whether it was written now, already
    /// there, or refused.
    /// </summary>
    public async Task<(ChunkKey Key, StoreOutcome Outcome)> StoreAsync(
        LlmEngine engine, ModelIdentity model, TenantNamespace ns, IReadOnlyList<int> chunkTokens, ChunkAdapter? adapter, CancellationToken cancellationToken)
    {
        var key = ChunkKey.Compute(model.WithAdapter(adapter?.Id), chunkTokens is int[] array ? array : [.. chunkTokens]);
        if (await store.ExistsAsync(ns, key).ConfigureAwait(false))
        {
            store.Metrics.RecordStored("existing", 0);
            return (key, StoreOutcome.Existing);
        }
        var value = await ChunkKvComputer.ComputeAsync(engine, chunkTokens, adapter, cancellationToken).ConfigureAwait(false);
        var outcome = await store.StoreAsync(ns, key, value).ConfigureAwait(false);
        LogStored(logger, key.Id, ns.Tenant, chunkTokens.Count, value.Length, outcome);
        return (key, outcome);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Chunk {ChunkId} of tenant {Tenant} ({Tokens} tokens, {Bytes} bytes): {Outcome}")]
    private static partial void LogStored(ILogger logger, string chunkId, string tenant, int tokens, int bytes, StoreOutcome outcome);
}
