using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using Platform.ChunkStore.Format;
using Platform.ChunkStore.Redis;
using Platform.Contracts.KvStore.V1;
using StackExchange.Redis;

namespace Platform.KvStore.Tests;

/// <summary>
/// RAG under a LoRA adapter with a real redis-server: chunk KV computed under the adapter (by the all-in-one
/// Gateway's write-back or by the KvStore's ingest) is blended for requests under that adapter, and chunk KV of
/// the base model and of the adapter never answer each other's requests.
/// </summary>
public sealed class GatewayAdapterBlendTests
{
    [SkippableFact]
    public async Task RagUnderAnAdapterBlendsChunksComputedUnderItAndNeverTheBaseModels()
    {
        var dir = TestModels.RequireStories260K();
        using var redis = await RedisServer.StartAsync();
        await using var gateway = await TestHost.StartGatewayAsync(dir, redis.ConnectionString, AdapterRag.Keys());
        var adapterDir = AdapterRag.SaveAdapter(dir);
        await AdapterRag.LoadForAlphaAsync(gateway.Http, adapterDir);
        var tokenizer = RagRequests.Tokenizer(dir);
        var chunks = RagTexts.Chunks;
        var adapterKeys = chunks.Select(c => AdapterRag.Key(dir, adapterDir, tokenizer, c)).ToArray();
        var baseKeys = chunks.Select(c => RagRequests.Key(dir, tokenizer, c)).ToArray();
        int chunkTokens = chunks.Sum(c => RagRequests.ChunkIds(tokenizer, c).Length);
        var plainPrompt = RagRequests.PlainPrompt(tokenizer, chunks, RagTexts.Question);

        var (plain, _) = await RagRequests.CompleteAsync(gateway.Http, AdapterRag.Completion("tuned", plainPrompt), AdapterRag.AlphaKey);
        var (plainBase, _) = await RagRequests.CompleteAsync(gateway.Http, AdapterRag.Completion("stories", plainPrompt), AdapterRag.AlphaKey);
        Assert.NotEqual(plainBase, plain);

        // Nothing stored yet: a full prefill under the adapter, and the misses written back under the adapter's keys only.
        var (first, _) = await RagRequests.CompleteAsync(gateway.Http, AdapterRag.Completion("tuned", RagTexts.Question, RagRequests.ByText(chunks)), AdapterRag.AlphaKey);
        Assert.Equal(plain, first);
        await RagRequests.WaitStoredAsync(redis.ConnectionString, "alpha", adapterKeys);
        Assert.Equal(3, await RagRequests.CountKeysAsync(redis.ConnectionString, "ckv:*"));

        // Read back from Redis and blended under the adapter: ratio 1.0 is the plain prompt under it; ratio 0 reuses every chunk token.
        double hits = await gateway.MetricAsync("chunk_hits_total");
        var (exact, _) = await RagRequests.CompleteAsync(gateway.Http, AdapterRag.Completion("tuned", RagTexts.Question, RagRequests.ById(adapterKeys, ratio: 1.0)), AdapterRag.AlphaKey);
        Assert.Equal(plain, exact);
        var (_, reuse) = await RagRequests.CompleteAsync(gateway.Http, AdapterRag.Completion("tuned", RagTexts.Question, RagRequests.ById(adapterKeys, ratio: 0)), AdapterRag.AlphaKey);
        Assert.Equal(chunkTokens, reuse["usage"]!["prompt_tokens_details"]!["cached_tokens"]!.GetValue<int>());
        Assert.Equal(hits + 6, await gateway.MetricAsync("chunk_hits_total"));

        // The base model does not find the adapter's chunks by text (it computes and writes back its own) and refuses them by id.
        var (baseByText, _) = await RagRequests.CompleteAsync(gateway.Http, AdapterRag.Completion("stories", RagTexts.Question, RagRequests.ByText(chunks)), AdapterRag.AlphaKey);
        Assert.Equal(plainBase, baseByText);
        Assert.Equal(hits + 6, await gateway.MetricAsync("chunk_hits_total"));
        await RagRequests.WaitStoredAsync(redis.ConnectionString, "alpha", baseKeys);
        Assert.Equal(6, await RagRequests.CountKeysAsync(redis.ConnectionString, "ckv:*"));
        var (status, refused) = await RagRequests.PostAsync(gateway.Http, "/v1/completions",
            AdapterRag.Completion("stories", RagTexts.Question, RagRequests.ById(adapterKeys)), AdapterRag.AlphaKey);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("LoRA adapter", refused["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);

        // And the adapter does not take the base model's chunks either.
        (status, _) = await RagRequests.PostAsync(gateway.Http, "/v1/completions",
            AdapterRag.Completion("tuned", RagTexts.Question, RagRequests.ById(baseKeys)), AdapterRag.AlphaKey);
        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [SkippableFact]
    public async Task TheKvStoreIngestsUnderATenantsAdapterTheKvTheGatewayComputesAndRefusesOtherTenantsUse()
    {
        var dir = TestModels.RequireStories260K();
        using var redis = await RedisServer.StartAsync();
        await using var gateway = await TestHost.StartGatewayAsync(dir, redis.ConnectionString, AdapterRag.Keys());
        await using var kv = await TestHost.StartKvStoreAsync(dir, redis.ConnectionString);
        var adapterDir = AdapterRag.SaveAdapter(dir);
        await AdapterRag.LoadForAlphaAsync(gateway.Http, adapterDir);
        var tokenizer = RagRequests.Tokenizer(dir);
        var chunks = RagTexts.Chunks;
        var adapterKeys = chunks.Select(c => AdapterRag.Key(dir, adapterDir, tokenizer, c)).ToArray();

        // The Gateway writes back tenant alpha's misses under the adapter.
        await RagRequests.CompleteAsync(gateway.Http, AdapterRag.Completion("tuned", RagTexts.Question, RagRequests.ByText(chunks)), AdapterRag.AlphaKey);
        await RagRequests.WaitStoredAsync(redis.ConnectionString, "alpha", adapterKeys);

        // The KvStore ingests the same chunks for tenant beta under the same adapter directory (gRPC, as the Split write-back does).
        using var channel = GrpcChannel.ForAddress(kv.GrpcUrl!);
        var client = new KvStoreService.KvStoreServiceClient(channel);
        var request = new IngestRequest { Tenant = "beta", Adapter = "tuned", AdapterPath = adapterDir };
        foreach (var chunk in chunks)
        {
            var tokenChunk = new TokenChunk();
            tokenChunk.TokenIds.AddRange(RagRequests.ChunkIds(tokenizer, chunk));
            request.Chunks.Add(tokenChunk);
        }
        var progress = new List<IngestProgress>();
        using (var call = client.Ingest(request))
        {
            await foreach (var p in call.ResponseStream.ReadAllAsync())
            {
                progress.Add(p);
            }
        }
        Assert.Equal(3, progress[^1].ChunksStored);
        Assert.Equal(adapterKeys.Select(k => k.Id), progress.Take(3).Select(p => p.Chunk.ChunkId));

        // The KV the Gateway's engine computed under the adapter (up to float rounding: the Gateway's write-back may
        // take prefix-cache blocks of the request it followed, computed in another batch shape).
        using (var admin = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString))
        {
            var db = admin.GetDatabase();
            foreach (var key in adapterKeys)
            {
                byte[] gatewayValue = (await db.StringGetAsync($"ckv:alpha:{key.Id}"))!;
                byte[] kvStoreValue = (await db.StringGetAsync($"ckv:beta:{key.Id}"))!;
                var (gatewayHeader, kvStoreHeader) = (ChunkKvFormat.ReadHeader(gatewayValue, "gateway"), ChunkKvFormat.ReadHeader(kvStoreValue, "kvstore"));
                Assert.Equal(gatewayHeader.TokenIds, kvStoreHeader.TokenIds);
                for (int layer = 0; layer < gatewayHeader.NumLayers; layer++)
                {
                    var (g, k) = (gatewayHeader.Layers[layer], kvStoreHeader.Layers[layer]);
                    using var expected = RedisChunkKvSource.ToLayer(gatewayHeader, gatewayValue.AsMemory((int)g.Offset, g.Length));
                    using var actual = RedisChunkKvSource.ToLayer(kvStoreHeader, kvStoreValue.AsMemory((int)k.Offset, k.Length));
                    Assert.True(expected.Keys.allclose(actual.Keys, 1e-4, 1e-4) && expected.Values.allclose(actual.Values, 1e-4, 1e-4), $"layer {layer} of {key.Id}");
                }
            }
        }

        // Resident now for beta: named without its path, the chunks are found stored.
        var again = await KvStoreServiceTests.IngestAsync(kv.Http, new
        {
            tenant = "beta",
            adapter = "tuned",
            chunks = chunks.Select(c => new { token_ids = RagRequests.ChunkIds(tokenizer, c) }).ToArray(),
        });
        Assert.Equal(3, again[^1]["chunks_existing"]!.GetValue<int>());

        // Another tenant cannot reach beta's adapter by name, and bad adapter input is refused while the service keeps serving.
        await AssertRefusedAsync(kv.Http, new { tenant = "gamma", adapter = "tuned", chunks = new[] { new { token_ids = new[] { 5, 6 } } } }, "not loaded");
        await AssertRefusedAsync(kv.Http, new { tenant = "gamma", adapter = "beta/tuned", chunks = new[] { new { token_ids = new[] { 5, 6 } } } }, "'/'");
        await AssertRefusedAsync(kv.Http, new { tenant = "beta", adapter_path = adapterDir, chunks = new[] { new { token_ids = new[] { 5, 6 } } } }, "without adapter");
        await AssertRefusedAsync(kv.Http, new { tenant = "beta", adapter = "tuned", documents = new[] { new { text = "hello", tenant = "gamma" } } }, "documents[0].tenant");
        await AssertRefusedAsync(kv.Http, new { tenant = "beta", adapter = "other", adapter_path = "/nonexistent/adapter", chunks = new[] { new { token_ids = new[] { 5, 6 } } } }, "not found");
        var ok = await KvStoreServiceTests.IngestAsync(kv.Http, new { tenant = "beta", chunks = new[] { new { token_ids = new[] { 5, 6 } } } });
        Assert.Equal(1, ok[^1]["chunks_stored"]!.GetValue<int>());
    }

    private static async Task AssertRefusedAsync(HttpClient kvStore, object body, string expected)
    {
        var (status, json) = await RagRequests.PostAsync(kvStore, "/v1/ingest", body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(expected, json["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
