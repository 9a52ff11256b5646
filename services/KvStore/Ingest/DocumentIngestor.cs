using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Platform.ChunkStore.Computing;
using Platform.ChunkStore.Hosting;
using Platform.ChunkStore.Keys;
using Platform.ChunkStore.Redis;
using Platform.Contracts.KvStore.V1;
using Platform.PhaseSplit.Hosting;

namespace Platform.KvStore.Ingest;

/// <summary>
/// Ingest: documents are tokenized (no BOS: the chunk KV is computed behind one) and split into chunks of
/// <c>chunk_tokens</c>; each chunk not yet stored for its tenant is computed with the engine and written.
/// Progress streams one message per chunk. Each document is recorded (<c>ckvdoc:{tenant}:{id}</c>: metadata
/// and chunk ids) so its chunks can be found again by document. With an adapter the chunks are computed under it
/// and keyed with its id (<see cref="KvStoreAdapters"/>).
/// </summary>
public sealed partial class DocumentIngestor(
    EngineHost host,
    ChunkIngestor ingestor,
    RedisConnection redis,
    KvStoreModelIdentity identity,
    IOptions<ChunkStoreOptions> options,
    ILogger<DocumentIngestor> logger)
{
    /// <summary>Checks and splits a request; throws <see cref="ArgumentException"/> naming the field for bad input.</summary>
    public IngestPlan Plan(IngestRequest request)
    {
        var engine = host.Engine;
        var tokenizer = engine.Tokenizer ?? throw new InvalidOperationException("the model has no tokenizer.json");
        var tenant = TenantNamespace.Of(request.Tenant);
        var adapter = KvStoreAdapters.Resolve(engine, tenant, request.Adapter, request.AdapterPath);
        int chunkTokens = request.ChunkTokens == 0 ? options.Value.ChunkTokens : request.ChunkTokens;
        if (chunkTokens is < DocumentChunker.MinChunkTokens or > DocumentChunker.MaxChunkTokens)
        {
            throw new ArgumentException($"chunk_tokens must be in [{DocumentChunker.MinChunkTokens}, {DocumentChunker.MaxChunkTokens}], got {chunkTokens}");
        }
        if (chunkTokens + 1 > engine.MaxModelLength)
        {
            throw new ArgumentException($"chunk_tokens {chunkTokens} plus the BOS exceeds the model's context of {engine.MaxModelLength} tokens");
        }
        if (request.Documents.Count == 0 && request.Chunks.Count == 0)
        {
            throw new ArgumentException("the request has no documents and no chunks");
        }
        var work = new List<IngestWork>();
        var documents = new List<Document>();
        for (int d = 0; d < request.Documents.Count; d++)
        {
            var document = request.Documents[d].Clone();
            if (string.IsNullOrWhiteSpace(document.Text))
            {
                throw new ArgumentException($"documents[{d}].text is empty");
            }
            if (document.Id.Length == 0)
            {
                document.Id = Guid.NewGuid().ToString("N");
            }
            var docTenant = document.Tenant.Length > 0 ? TenantNamespace.Of(document.Tenant) : tenant;
            if (adapter is not null && docTenant != tenant)
            {
                throw new ArgumentException($"documents[{d}].tenant '{docTenant.Tenant}': with an adapter every document is the request's tenant '{tenant.Tenant}', whose adapter it is");
            }
            document.Tenant = docTenant.Tenant;
            var ids = tokenizer.Encode(document.Text, addSpecialTokens: false, parseSpecialTokens: false);
            var chunks = DocumentChunker.Split(ids, chunkTokens);
            for (int i = 0; i < chunks.Count; i++)
            {
                work.Add(new IngestWork(docTenant, document.Id, i, chunks[i]));
            }
            documents.Add(document);
        }
        int vocab = engine.Model.Config.VocabSize;
        for (int c = 0; c < request.Chunks.Count; c++)
        {
            var ids = request.Chunks[c].TokenIds.ToArray();
            if (ids.Length == 0 || ids.Length + 1 > engine.MaxModelLength)
            {
                throw new ArgumentException($"chunks[{c}] has {ids.Length} tokens; a chunk needs 1 to {engine.MaxModelLength - 1}");
            }
            if (ids.Any(id => (uint)id >= (uint)vocab))
            {
                throw new ArgumentException($"chunks[{c}] has token ids outside the vocabulary [0, {vocab})");
            }
            work.Add(new IngestWork(tenant, "", c, ids));
        }
        return new IngestPlan(work, documents, adapter);
    }

    /// <summary>Stores every chunk of the plan in order, yielding progress per chunk and a final message.</summary>
    public async IAsyncEnumerable<IngestProgress> RunAsync(IngestPlan plan, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var engine = host.Engine;
        var model = identity.Value;
        var progress = new IngestProgress { ChunksTotal = plan.Work.Count };
        var byDocument = new Dictionary<(string Tenant, string Id), List<string>>();
        foreach (var work in plan.Work)
        {
            var (key, outcome) = await ingestor.StoreAsync(engine, model, work.Tenant, work.TokenIds, plan.Adapter, cancellationToken).ConfigureAwait(false);
            progress.ChunksDone++;
            switch (outcome)
            {
                case StoreOutcome.Stored: progress.ChunksStored++; break;
                case StoreOutcome.Existing: progress.ChunksExisting++; break;
                default: progress.ChunksFailed++; break;
            }
            if (work.DocumentId.Length > 0)
            {
                var list = byDocument.TryGetValue((work.Tenant.Tenant, work.DocumentId), out var l) ? l : byDocument[(work.Tenant.Tenant, work.DocumentId)] = [];
                list.Add(key.Id);
            }
            var message = progress.Clone();
            message.Chunk = new IngestedChunk
            {
                ChunkId = key.Id,
                DocumentId = work.DocumentId,
                Index = work.Index,
                TokenCount = work.TokenIds.Length,
                Outcome = Word(outcome),
                Tenant = work.Tenant.Tenant,
            };
            yield return message;
        }
        foreach (var document in plan.Documents)
        {
            await RecordDocumentAsync(document, byDocument.GetValueOrDefault((document.Tenant, document.Id)) ?? []).ConfigureAwait(false);
        }
        LogIngested(logger, plan.Documents.Count, progress.ChunksTotal, progress.ChunksStored, progress.ChunksExisting, progress.ChunksFailed);
        progress.Done = true;
        yield return progress;
    }

    public static string Word(StoreOutcome outcome) => outcome switch
    {
        StoreOutcome.Stored => "stored",
        StoreOutcome.Existing => "existing",
        StoreOutcome.TooLarge => "too_large",
        StoreOutcome.OverBudget => "over_budget",
        _ => "failed",
    };

    private async Task RecordDocumentAsync(Document document, List<string> chunkIds)
    {
        var record = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["id"] = document.Id,
            ["metadata"] = document.Metadata.ToDictionary(),
            ["chunk_ids"] = chunkIds,
        });
        try
        {
            await redis.Database.StringSetAsync($"ckvdoc:{document.Tenant}:{document.Id}", record, options.Value.Ttl)
                .WaitAsync(options.Value.WriteTimeout).ConfigureAwait(false);
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
        {
            LogDocumentFailed(logger, document.Id, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingested {Documents} documents: {Chunks} chunks, {Stored} stored, {Existing} already there, {Failed} not stored")]
    private static partial void LogIngested(ILogger logger, int documents, int chunks, int stored, int existing, int failed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording document {DocumentId} failed: {Reason}")]
    private static partial void LogDocumentFailed(ILogger logger, string documentId, string reason);
}
