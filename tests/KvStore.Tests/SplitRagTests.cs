using System.Globalization;
using System.Net;

namespace Platform.KvStore.Tests;

/// <summary>
/// RAG in Split mode for real: Prefill and Decode as separate processes with the chunk store, the Gateway routing
/// to them. The Gateway sends the chunk ids in the spec's blend; Prefill looks them up in Redis itself.
/// </summary>
public sealed class SplitRagTests
{
    private static Dictionary<string, string?> SplitSettings(string prefill, string decode) => new()
    {
        ["Gateway:Mode"] = "Split",
        ["Gateway:Prefill:Instances:0:Name"] = "prefill-0",
        ["Gateway:Prefill:Instances:0:Address"] = prefill,
        ["Gateway:Decode:Instances:0:Name"] = "decode-0",
        ["Gateway:Decode:Instances:0:Address"] = decode,
        ["Gateway:Routing:LoadPollInterval"] = TimeSpan.FromMilliseconds(200).ToString("c", CultureInfo.InvariantCulture),
        // These chunks are short: blend them rather than fall back to a full prefill below the default 256 cached tokens.
        ["ChunkStore:MinCachedTokens"] = "1",
    };

    [SkippableFact]
    public async Task RagThroughPrefillAndDecodeProcessesEqualsThePlainPromptAndPrefillReadsTheChunksFromRedis()
    {
        var dir = TestModels.RequireStories260K();
        using var redis = await RedisServer.StartAsync();
        using var prefill = await ServiceProcess.StartAsync("Prefill", dir, "--ConnectionStrings:redis", redis.ConnectionString, "--ChunkStore:ReadTimeout", "00:00:00.500");
        using var decode = await ServiceProcess.StartAsync("Decode", dir);
        var tokenizer = RagRequests.Tokenizer(dir);
        var chunks = RagTexts.Chunks;
        var keys = chunks.Select(c => RagRequests.Key(dir, tokenizer, c)).ToArray();

        // The KvStore ingests the chunks (as token chunks, exactly as the Gateway's write-back sends them).
        await using (var kv = await TestHost.StartKvStoreAsync(dir, redis.ConnectionString))
        {
            var progress = await KvStoreServiceTests.IngestAsync(kv.Http, new
            {
                chunks = chunks.Select(c => new { token_ids = RagRequests.ChunkIds(tokenizer, c) }).ToArray(),
            });
            Assert.Equal(3, progress[^1]["chunks_stored"]!.GetValue<int>());
            Assert.Equal(keys.Select(k => k.Id), progress.Take(3).Select(p => p["chunk"]!["chunk_id"]!.GetValue<string>()));
        }

        await using var gateway = await TestHost.StartGatewayAsync(dir, redis.ConnectionString, SplitSettings(prefill.Address, decode.Address));
        await WaitForInstancesAsync(gateway);
        int[] order = [1, 2, 0];
        var (plain, _) = await RagRequests.CompleteAsync(gateway.Http, RagRequests.Completion(RagRequests.PlainPrompt(tokenizer, order.Select(i => chunks[i]), RagTexts.Question)));
        var (byId, _) = await RagRequests.CompleteAsync(gateway.Http, RagRequests.Completion(RagTexts.Question, RagRequests.ById(order.Select(i => keys[i]))));
        var (byText, _) = await RagRequests.CompleteAsync(gateway.Http, RagRequests.Completion(RagTexts.Question, RagRequests.ByText(order.Select(i => chunks[i]))));
        Assert.Equal(plain, byId);
        Assert.Equal(plain, byText);
        Assert.Equal(3, await RagRequests.CountKeysAsync(redis.ConnectionString, "ckv:*"));

        // Prefill looked the chunks up itself (both RAG requests: 3 hits each).
        Assert.True(await PrefillHitsAsync(prefill) >= 6, prefill.Output);

        // With the decode pool "full", the router colocates both phases on Prefill (GenerateColocated): the chunks
        // are still read from Redis and blended there, at r = 1.0 exactly the plain prompt's tokens, at r = 0.15
        // with most chunk tokens reused.
        var colocatedSettings = SplitSettings(prefill.Address, decode.Address);
        colocatedSettings["Gateway:Routing:MinFreeDecodeBlocks"] = "1000000";
        await using (var colocated = await TestHost.StartGatewayAsync(dir, redis.ConnectionString, colocatedSettings))
        {
            await WaitForInstancesAsync(colocated);
            double hitsBefore = await PrefillHitsAsync(prefill);
            // An order no earlier request had, so the prefix cache holds nothing past the BOS of this prompt.
            int[] other = [2, 0, 1];
            var (_, reused) = await RagRequests.CompleteAsync(colocated.Http, RagRequests.Completion(RagTexts.Question, RagRequests.ById(other.Select(i => keys[i]), ratio: 0.15)));
            int chunkTokens = chunks.Sum(c => RagRequests.ChunkIds(tokenizer, c).Length);
            Assert.InRange(reused["usage"]!["prompt_tokens_details"]!["cached_tokens"]!.GetValue<int>(), chunkTokens / 2, chunkTokens + 1);
            var (exact, _) = await RagRequests.CompleteAsync(colocated.Http, RagRequests.Completion(RagTexts.Question, RagRequests.ById(other.Select(i => keys[i]))));
            var (plainOther, _) = await RagRequests.CompleteAsync(colocated.Http, RagRequests.Completion(RagRequests.PlainPrompt(tokenizer, other.Select(i => chunks[i]), RagTexts.Question)));
            Assert.Equal(plainOther, exact);
            Assert.Equal(hitsBefore + 6, await PrefillHitsAsync(prefill));
        }

        // Redis killed: Prefill cannot read the chunks and the request is still answered by full prefill.
        redis.Kill();
        var (down, _) = await RagRequests.CompleteAsync(gateway.Http, RagRequests.Completion(RagTexts.Question, RagRequests.ByText(order.Select(i => chunks[i]))));
        Assert.Equal(plain, down);
    }

    [SkippableFact]
    public async Task RagUnderATenantsAdapterThroughPrefillAndDecodeBlendsChunksComputedUnderItAndWritesMissesBackUnderIt()
    {
        var dir = TestModels.RequireStories260K();
        using var redis = await RedisServer.StartAsync();
        using var prefill = await ServiceProcess.StartAsync("Prefill", dir, "--ConnectionStrings:redis", redis.ConnectionString, "--ChunkStore:ReadTimeout", "00:00:00.500");
        using var decode = await ServiceProcess.StartAsync("Decode", dir);
        await using var kv = await TestHost.StartKvStoreAsync(dir, redis.ConnectionString);
        var adapterDir = AdapterRag.SaveAdapter(dir);
        var tokenizer = RagRequests.Tokenizer(dir);
        var chunks = RagTexts.Chunks;
        var adapterKeys = chunks.Select(c => AdapterRag.Key(dir, adapterDir, tokenizer, c)).ToArray();
        int chunkTokens = chunks.Sum(c => RagRequests.ChunkIds(tokenizer, c).Length);

        // The KvStore ingests two of the chunks for tenant alpha under its adapter.
        var progress = await KvStoreServiceTests.IngestAsync(kv.Http, new
        {
            tenant = "alpha",
            adapter = "tuned",
            adapter_path = adapterDir,
            chunks = chunks.Take(2).Select(c => new { token_ids = RagRequests.ChunkIds(tokenizer, c) }).ToArray(),
        });
        Assert.Equal(adapterKeys.Take(2).Select(k => k.Id), progress.Take(2).Select(p => p["chunk"]!["chunk_id"]!.GetValue<string>()));

        var settings = SplitSettings(prefill.Address, decode.Address);
        foreach (var (key, value) in AdapterRag.Keys())
        {
            settings[key] = value;
        }
        settings["ConnectionStrings:kvstore"] = kv.GrpcUrl;
        await using var gateway = await TestHost.StartGatewayAsync(dir, redis.ConnectionString, settings);
        await WaitForInstancesAsync(gateway);
        await AdapterRag.LoadForAlphaAsync(gateway.Http, adapterDir);
        var (plain, _) = await RagRequests.CompleteAsync(gateway.Http,
            AdapterRag.Completion("tuned", RagRequests.PlainPrompt(tokenizer, chunks, RagTexts.Question)), AdapterRag.AlphaKey);

        // Two chunks blended from Redis under the adapter, the third computed and written back through the KvStore under it.
        var (byText, _) = await RagRequests.CompleteAsync(gateway.Http, AdapterRag.Completion("tuned", RagTexts.Question, RagRequests.ByText(chunks)), AdapterRag.AlphaKey);
        Assert.Equal(plain, byText);
        await RagRequests.WaitStoredAsync(redis.ConnectionString, "alpha", adapterKeys);
        Assert.Equal(3, await RagRequests.CountKeysAsync(redis.ConnectionString, "ckv:*"));
        var (byId, _) = await RagRequests.CompleteAsync(gateway.Http, AdapterRag.Completion("tuned", RagTexts.Question, RagRequests.ById(adapterKeys)), AdapterRag.AlphaKey);
        Assert.Equal(plain, byId);
        var (_, reuse) = await RagRequests.CompleteAsync(gateway.Http, AdapterRag.Completion("tuned", RagTexts.Question, RagRequests.ById(adapterKeys, ratio: 0)), AdapterRag.AlphaKey);
        Assert.Equal(chunkTokens, reuse["usage"]!["prompt_tokens_details"]!["cached_tokens"]!.GetValue<int>());
        Assert.True(await PrefillHitsAsync(prefill) >= 2 + 3 + 3, prefill.Output);
    }

    /// <summary>chunk_hits_total from Prefill's /metrics (its endpoint speaks HTTP/2 only).</summary>
    private static async Task<double> PrefillHitsAsync(ServiceProcess prefill)
    {
        using var http = new HttpClient
        {
            BaseAddress = new Uri(prefill.Address),
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        var text = await http.GetStringAsync("/metrics");
        return text.Split('\n').Where(l => l.StartsWith("chunk_hits_total", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }

    private static async Task WaitForInstancesAsync(TestHost gateway)
    {
        using var cts = new CancellationTokenSource(TestHost.Timeout);
        while (!(await gateway.Http.GetStringAsync("/health", cts.Token)).StartsWith("Healthy", StringComparison.Ordinal))
        {
            await Task.Delay(50, cts.Token);
        }
    }
}
