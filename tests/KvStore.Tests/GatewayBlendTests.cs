namespace Platform.KvStore.Tests;

/// <summary>
/// The whole CacheBlend path in the all-in-one Gateway: chunks written back to a real redis-server, then read
/// back layer by layer and blended by the engine (the cached-token threshold lowered for stories260K's short
/// chunks), with reuse reported in <c>usage.prompt_tokens_details.cached_tokens</c>.
/// </summary>
public sealed class GatewayBlendTests
{
    [SkippableFact]
    public async Task ChunksReadFromRedisAreBlendedAndRatioOneEqualsThePlainPrompt()
    {
        var dir = TestModels.RequireStories260K();
        using var redis = await RedisServer.StartAsync();
        await using var gateway = await TestHost.StartGatewayAsync(dir, redis.ConnectionString, new Dictionary<string, string?>
        {
            ["ChunkStore:MinCachedTokens"] = "1",
        });
        var tokenizer = RagRequests.Tokenizer(dir);
        var chunks = RagTexts.Chunks;
        var keys = chunks.Select(c => RagRequests.Key(dir, tokenizer, c)).ToArray();
        int chunkTokens = chunks.Sum(c => RagRequests.ChunkIds(tokenizer, c).Length);

        // First request: nothing stored, full prefill, misses written back.
        var (plain, _) = await RagRequests.CompleteAsync(gateway.Http, RagRequests.Completion(RagRequests.PlainPrompt(tokenizer, chunks, RagTexts.Question)));
        var (first, _) = await RagRequests.CompleteAsync(gateway.Http, RagRequests.Completion(RagTexts.Question, RagRequests.ByText(chunks)));
        Assert.Equal(plain, first);
        await RagRequests.WaitStoredAsync(redis.ConnectionString, "default", keys);
        double bytesBefore = await gateway.MetricAsync("chunk_bytes_loaded_bytes_total");

        // Ratio 1.0: every chunk's KV is loaded from Redis and every token recomputed: the plain prompt's tokens.
        var (exact, _) = await RagRequests.CompleteAsync(gateway.Http, RagRequests.Completion(RagTexts.Question, RagRequests.ById(keys, ratio: 1.0)));
        Assert.Equal(plain, exact);
        Assert.True(await gateway.MetricAsync("chunk_bytes_loaded_bytes_total") > bytesBefore, "ratio 1.0 still loads the chunks' KV");

        // Ratio 0 (full reuse) and 0.15 reuse chunk tokens without recompute, and usage says how many.
        var (_, reuseBody) = await RagRequests.CompleteAsync(gateway.Http, RagRequests.Completion(RagTexts.Question, RagRequests.ById(keys, ratio: 0)));
        Assert.Equal(chunkTokens, reuseBody["usage"]!["prompt_tokens_details"]!["cached_tokens"]!.GetValue<int>());
        var (blended, blendBody) = await RagRequests.CompleteAsync(gateway.Http, RagRequests.Completion(RagTexts.Question, RagRequests.ById(keys, ratio: 0.15)));
        int cached = blendBody["usage"]!["prompt_tokens_details"]!["cached_tokens"]!.GetValue<int>();
        Assert.InRange(cached, 1, chunkTokens - 1);
        Assert.False(string.IsNullOrEmpty(blended));
    }
}
