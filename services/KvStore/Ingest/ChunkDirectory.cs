using Platform.ChunkStore.Keys;
using Platform.ChunkStore.Redis;
using Platform.Contracts.KvStore.V1;
using Platform.Engine.Blending;
using Platform.PhaseSplit.Hosting;

namespace Platform.KvStore.Ingest;

/// <summary>Chunk lookup: what the store holds for chunk ids under a tenant (tokens, text, shapes).</summary>
public sealed class ChunkDirectory(RedisChunkStore store, EngineHost host)
{
    /// <summary>Throws <see cref="ArgumentException"/> for a bad tenant or id, <see cref="ChunkKvUnavailableException"/> when Redis cannot answer.</summary>
    public async Task<LookupChunksReply> LookupAsync(LookupChunksRequest request, CancellationToken cancellationToken)
    {
        var tenant = TenantNamespace.Of(request.Tenant);
        var keys = request.ChunkIds.Select((id, i) => ChunkKey.TryParse(id)
            ?? throw new ArgumentException($"chunk_ids[{i}] '{id}' is not a chunk id (64 hex digits)")).ToList();
        var reply = new LookupChunksReply();
        foreach (var key in keys)
        {
            var found = await store.FindAsync(tenant, key, cancellationToken).ConfigureAwait(false);
            var info = new ChunkInfo { ChunkId = key.Id, Found = found is not null };
            if (found is not null)
            {
                info.TokenIds.AddRange(found.Header.TokenIds);
                info.Text = host.Engine.Tokenizer?.Decode(found.Header.TokenIds) ?? "";
                info.NumLayers = found.Header.NumLayers;
                info.Dtype = ChunkStore.Format.ChunkDType.Name(found.Header.DType);
            }
            reply.Chunks.Add(info);
        }
        return reply;
    }
}
