using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Grpc.Core;
using Grpc.Net.Client;
using Platform.ChunkStore.Keys;
using Platform.Contracts.KvStore.V1;
using StackExchange.Redis;

namespace Platform.KvStore.Tests;

/// <summary>The KvStore service on stories260K and a real redis-server: ingest over HTTP and gRPC, lookup, idempotence.</summary>
public sealed class KvStoreServiceTests
{
    internal static async Task<List<JsonNode>> IngestAsync(HttpClient http, object body)
    {
        using var response = await http.PostAsJsonAsync("/v1/ingest", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!)];
    }

    [SkippableFact]
    public async Task IngestOverHttpStreamsProgressPerChunkAndStoresEachChunkOnce()
    {
        var dir = TestModels.RequireStories260K();
        using var redis = await RedisServer.StartAsync();
        await using var kv = await TestHost.StartKvStoreAsync(dir, redis.ConnectionString);
        var body = new
        {
            tenant = "alpha",
            chunk_tokens = 16,
            documents = new[] { new { id = "doc-1", text = string.Join(" ", RagTexts.Chunks), metadata = new Dictionary<string, string> { ["source"] = "test" } } },
        };
        var first = await IngestAsync(kv.Http, body);
        var done = first[^1];
        Assert.True(done["done"]!.GetValue<bool>());
        int total = done["chunks_total"]!.GetValue<int>();
        Assert.True(total >= 3, $"expected several 16-token chunks, got {total}");
        Assert.Equal(total + 1, first.Count);
        Assert.Equal(total, done["chunks_stored"]!.GetValue<int>());
        Assert.Equal(Enumerable.Range(1, total), first.Take(total).Select(p => p["chunks_done"]!.GetValue<int>()));
        var ids = first.Take(total).Select(p => p["chunk"]!["chunk_id"]!.GetValue<string>()).ToList();
        Assert.All(first.Take(total - 1), p => Assert.Equal(16, p["chunk"]!["token_count"]!.GetValue<int>()));

        var again = await IngestAsync(kv.Http, body);
        Assert.Equal((0, total), (again[^1]["chunks_stored"]!.GetValue<int>(), again[^1]["chunks_existing"]!.GetValue<int>()));
        Assert.Equal(ids, again.Take(total).Select(p => p["chunk"]!["chunk_id"]!.GetValue<string>()));

        using var admin = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var server = admin.GetServers()[0];
        Assert.Equal(ids.Distinct().Count(), server.Keys(pattern: "ckv:alpha:*").Count());
        Assert.Contains("doc-1", (string?)await admin.GetDatabase().StringGetAsync("ckvdoc:alpha:doc-1") ?? "", StringComparison.Ordinal);

        var found = JsonNode.Parse(await kv.Http.GetStringAsync($"/v1/chunks/{ids[0]}?tenant=alpha"))!["chunks"]![0]!;
        Assert.True(found["found"]!.GetValue<bool>());
        Assert.Equal(16, found["token_ids"]!.AsArray().Count);
        Assert.Equal(5, found["num_layers"]!.GetValue<int>());
        var other = JsonNode.Parse(await kv.Http.GetStringAsync($"/v1/chunks/{ids[0]}?tenant=beta"))!["chunks"]![0]!;
        Assert.False(other["found"]!.GetValue<bool>());
    }

    [SkippableFact]
    public async Task IngestOverGrpcStreamsProgressAndBadRequestsAreRefusedWhileServing()
    {
        var dir = TestModels.RequireStories260K();
        using var redis = await RedisServer.StartAsync();
        await using var kv = await TestHost.StartKvStoreAsync(dir, redis.ConnectionString);
        using var channel = GrpcChannel.ForAddress(kv.GrpcUrl!);
        var client = new KvStoreService.KvStoreServiceClient(channel);

        var bad = new IngestRequest { Tenant = "no:colons" };
        bad.Documents.Add(new Document { Text = "hello" });
        using (var call = client.Ingest(bad))
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        }
        using (var response = await kv.Http.PostAsJsonAsync("/v1/ingest", new { documents = new[] { new { text = "x" } }, chunk_tokens = 3 }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("chunk_tokens", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var response = await kv.Http.PostAsync("/v1/ingest", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        var request = new IngestRequest { Tenant = "alpha" };
        request.Chunks.Add(new TokenChunk { TokenIds = { 10, 20, 30, 40 } });
        request.Chunks.Add(new TokenChunk { TokenIds = { 50, 60, 70 } });
        request.Chunks.Add(new TokenChunk { TokenIds = { 10, 20, 30, 40 } });
        var progress = new List<IngestProgress>();
        using (var call = client.Ingest(request))
        {
            await foreach (var p in call.ResponseStream.ReadAllAsync())
            {
                progress.Add(p);
            }
        }
        Assert.Equal(4, progress.Count);
        Assert.True(progress[^1].Done);
        Assert.Equal((3, 2, 1), (progress[^1].ChunksDone, progress[^1].ChunksStored, progress[^1].ChunksExisting));
        Assert.Equal(progress[0].Chunk.ChunkId, progress[2].Chunk.ChunkId);

        var lookup = new LookupChunksRequest { Tenant = "alpha" };
        lookup.ChunkIds.Add(progress[1].Chunk.ChunkId);
        var reply = await client.LookupChunksAsync(lookup);
        Assert.Equal([50, 60, 70], reply.Chunks[0].TokenIds);
        lookup.Tenant = "beta";
        Assert.False((await client.LookupChunksAsync(lookup)).Chunks[0].Found);
        Assert.Equal(ChunkKey.IdLength, progress[1].Chunk.ChunkId.Length);
    }
}
