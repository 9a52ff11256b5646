using System.Net;

namespace Platform.KvStore.Tests;

/// <summary>
/// RAG requests through the all-in-one Gateway (engine in process) with a real redis-server. stories260K's chunks
/// stay under the default cached-token threshold (ChunkStore:MinCachedTokens), so these prompts are fully
/// prefilled and every answer must equal the plain prompt's; GatewayBlendTests lowers it and blends.
/// </summary>
public sealed class GatewayRagTests
{
    private static Dictionary<string, string?> Tenants() => new()
    {
        ["Gateway:ApiKeys:0"] = "key-alpha",
        ["Gateway:ApiKeys:1"] = "key-beta",
        ["Gateway:ApiKeys:2"] = "key-alpha-2",
        ["Gateway:Tenants:alpha:ApiKeys:0"] = "key-alpha",
        ["Gateway:Tenants:alpha:ApiKeys:1"] = "key-alpha-2",
        ["Gateway:Tenants:beta:ApiKeys:0"] = "key-beta",
    };

    [SkippableFact]
    public async Task RagByTextThenByIdInAnotherOrderEqualsThePlainPromptAndReusesTheSameEntries()
    {
        var dir = TestModels.RequireStories260K();
        using var redis = await RedisServer.StartAsync();
        await using var gateway = await TestHost.StartGatewayAsync(dir, redis.ConnectionString, Tenants());
        var tokenizer = RagRequests.Tokenizer(dir);
        var chunks = RagTexts.Chunks;
        var keys = chunks.Select(c => RagRequests.Key(dir, tokenizer, c)).ToArray();

        var (plain, plainBody) = await RagRequests.CompleteAsync(gateway.Http, RagRequests.Completion(RagRequests.PlainPrompt(tokenizer, chunks, RagTexts.Question)), "key-alpha");
        var (rag, ragBody) = await RagRequests.CompleteAsync(gateway.Http, RagRequests.Completion(RagTexts.Question, RagRequests.ByText(chunks)), "key-alpha");
        Assert.Equal(plain, rag);
        Assert.Equal(plainBody["usage"]!["prompt_tokens"]!.GetValue<int>(), ragBody["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.NotNull(ragBody["usage"]!["prompt_tokens_details"]!["cached_tokens"]);

        // The misses were written back for the tenant; the next request finds them by id, in any order.
        await RagRequests.WaitStoredAsync(redis.ConnectionString, "alpha", keys);
        Assert.Equal(3, await RagRequests.CountKeysAsync(redis.ConnectionString, "ckv:alpha:*"));
        double hits = await gateway.MetricAsync("chunk_hits_total");
        int[] order = [2, 0, 1];
        var (reordered, _) = await RagRequests.CompleteAsync(gateway.Http,
            RagRequests.Completion(RagTexts.Question, RagRequests.ById(order.Select(i => keys[i]))), "key-alpha-2");
        var (reorderedPlain, _) = await RagRequests.CompleteAsync(gateway.Http,
            RagRequests.Completion(RagRequests.PlainPrompt(tokenizer, order.Select(i => chunks[i]), RagTexts.Question)), "key-alpha");
        Assert.Equal(reorderedPlain, reordered);
        Assert.Equal(hits + 3, await gateway.MetricAsync("chunk_hits_total"));
        Assert.Equal(3, await RagRequests.CountKeysAsync(redis.ConnectionString, "ckv:*"));

        // The same chunks by text in the new order hit the same entries and store nothing new.
        var (byText, _) = await RagRequests.CompleteAsync(gateway.Http, RagRequests.Completion(RagTexts.Question, RagRequests.ByText(order.Select(i => chunks[i]))), "key-alpha");
        Assert.Equal(reorderedPlain, byText);
        Assert.Equal(hits + 6, await gateway.MetricAsync("chunk_hits_total"));
        Assert.Equal(3, await RagRequests.CountKeysAsync(redis.ConnectionString, "ckv:*"));
        Assert.True(await gateway.MetricAsync("rag_time_to_first_token_seconds_count") >= 3);
    }

    [SkippableFact]
    public async Task AnExactlyRepeatedChunkWorksAndChunksOfOneTenantAreNeverServedToAnother()
    {
        var dir = TestModels.RequireStories260K();
        using var redis = await RedisServer.StartAsync();
        await using var gateway = await TestHost.StartGatewayAsync(dir, redis.ConnectionString, Tenants());
        var tokenizer = RagRequests.Tokenizer(dir);
        string chunk = RagTexts.Chunks[0];
        var key = RagRequests.Key(dir, tokenizer, chunk);

        var (plain, _) = await RagRequests.CompleteAsync(gateway.Http, RagRequests.Completion(RagRequests.PlainPrompt(tokenizer, [chunk, chunk], RagTexts.Question)), "key-alpha");
        var (repeated, _) = await RagRequests.CompleteAsync(gateway.Http, RagRequests.Completion(RagTexts.Question, RagRequests.ByText([chunk, chunk])), "key-alpha");
        Assert.Equal(plain, repeated);
        await RagRequests.WaitStoredAsync(redis.ConnectionString, "alpha", [key]);
        var (repeatedById, _) = await RagRequests.CompleteAsync(gateway.Http, RagRequests.Completion(RagTexts.Question, RagRequests.ById([key, key])), "key-alpha");
        Assert.Equal(plain, repeatedById);

        // Beta cannot read alpha's chunk by id: not found, as if it did not exist.
        var (status, body) = await RagRequests.PostAsync(gateway.Http, "/v1/completions", RagRequests.Completion(RagTexts.Question, RagRequests.ById([key])), "key-beta");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("chunk_not_found", body["error"]!["code"]!.GetValue<string>());
        double hits = await gateway.MetricAsync("chunk_hits_total");
        var (betaByText, _) = await RagRequests.CompleteAsync(gateway.Http, RagRequests.Completion(RagTexts.Question, RagRequests.ByText([chunk, chunk], writeBack: false)), "key-beta");
        Assert.Equal(plain, betaByText);
        Assert.Equal(hits, await gateway.MetricAsync("chunk_hits_total"));
        Assert.Equal(0, await RagRequests.CountKeysAsync(redis.ConnectionString, "ckv:beta:*"));
    }

    [SkippableFact]
    public async Task RedisSlowOrKilledStillAnswersByFullPrefillAndSaysSo()
    {
        var dir = TestModels.RequireStories260K();
        using var redis = await RedisServer.StartAsync();
        await using var gateway = await TestHost.StartGatewayAsync(dir, redis.ConnectionString);
        var tokenizer = RagRequests.Tokenizer(dir);
        var chunks = RagTexts.Chunks;
        var keys = chunks.Select(c => RagRequests.Key(dir, tokenizer, c)).ToArray();
        var (plain, _) = await RagRequests.CompleteAsync(gateway.Http, RagRequests.Completion(RagRequests.PlainPrompt(tokenizer, chunks, RagTexts.Question)));
        await RagRequests.CompleteAsync(gateway.Http, RagRequests.Completion(RagTexts.Question, RagRequests.ByText(chunks)));
        await RagRequests.WaitStoredAsync(redis.ConnectionString, "default", keys);

        // Slow: every command held for 3 s, past ChunkStore:ReadTimeout (0.5 s here).
        // (The admin connection stays open: closing it would wait out the pause.)
        using var admin = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
        await admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "3000", "ALL");
        var (slow, _) = await RagRequests.CompleteAsync(gateway.Http, RagRequests.Completion(RagTexts.Question, RagRequests.ByText(chunks)));
        Assert.Equal(plain, slow);
        Assert.True(await gateway.MetricAsync("chunk_store_failures_total") >= 1);
        Assert.True(await gateway.MetricAsync("chunk_fallbacks_total") >= 1);

        // Killed: chunks by text are computed; chunks by id cannot be resolved and get a clear 503.
        redis.Kill();
        double fallbacks = await gateway.MetricAsync("chunk_fallbacks_total");
        var (down, _) = await RagRequests.CompleteAsync(gateway.Http, RagRequests.Completion(RagTexts.Question, RagRequests.ByText(chunks)));
        Assert.Equal(plain, down);
        Assert.True(await gateway.MetricAsync("chunk_fallbacks_total") > fallbacks);
        var (status, body) = await RagRequests.PostAsync(gateway.Http, "/v1/completions", RagRequests.Completion(RagTexts.Question, RagRequests.ById(keys)));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("chunk_store_unavailable", body["error"]!["code"]!.GetValue<string>());
        var (after, _) = await RagRequests.CompleteAsync(gateway.Http, RagRequests.Completion(RagRequests.PlainPrompt(tokenizer, chunks, RagTexts.Question)));
        Assert.Equal(plain, after);
    }

    [SkippableFact]
    public async Task ChatSplicesChunksBeforeTheLastUserMessageAndBadRagInputGets400()
    {
        var dir = TestModels.RequireStories260K();
        using var redis = await RedisServer.StartAsync();
        await using var gateway = await TestHost.StartGatewayAsync(dir, redis.ConnectionString);
        var tokenizer = RagRequests.Tokenizer(dir);
        var chunks = RagTexts.Chunks;
        var messages = new object[] { new { role = "system", content = "Answer from the stories." }, new { role = "user", content = RagTexts.Question } };
        var (status, plainChat) = await RagRequests.PostAsync(gateway.Http, "/v1/chat/completions",
            new { model = "stories", messages, max_tokens = 8, temperature = 0 });
        Assert.Equal(HttpStatusCode.OK, status);
        var (ragStatus, ragChat) = await RagRequests.PostAsync(gateway.Http, "/v1/chat/completions",
            new { model = "stories", messages, max_tokens = 8, temperature = 0, rag = RagRequests.ByText(chunks, 0.15) });
        Assert.True(ragStatus == HttpStatusCode.OK, ragChat.ToJsonString());
        int chunkTokens = chunks.Sum(c => RagRequests.ChunkIds(tokenizer, c).Length);
        int plainTokens = plainChat["usage"]!["prompt_tokens"]!.GetValue<int>();
        int ragTokens = ragChat["usage"]!["prompt_tokens"]!.GetValue<int>();
        // Exactly the chunks' ids spliced in, give or take the tokenizer's word boundary at the split point.
        Assert.InRange(ragTokens - plainTokens, chunkTokens - 2, chunkTokens + 2);

        object[] bad =
        [
            new { chunks = Array.Empty<object>() },
            new { chunks = new[] { new { id = "abc", text = "both" } } },
            new { chunks = new[] { new { id = "not-hex" } } },
            new { chunks = new[] { new { text = "x" } }, recompute_ratio = 1.5 },
        ];
        foreach (var rag in bad)
        {
            var (badStatus, error) = await RagRequests.PostAsync(gateway.Http, "/v1/completions", RagRequests.Completion("hi", rag));
            Assert.True(badStatus == HttpStatusCode.BadRequest, error.ToJsonString());
            Assert.StartsWith("rag", error["error"]!["param"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        var (listStatus, _) = await RagRequests.PostAsync(gateway.Http, "/v1/completions", RagRequests.Completion(new[] { "a", "b" }, RagRequests.ByText(chunks)));
        Assert.Equal(HttpStatusCode.BadRequest, listStatus);
        var (okAfter, _) = await RagRequests.CompleteAsync(gateway.Http, RagRequests.Completion(RagTexts.Question, RagRequests.ByText(chunks)));
        Assert.NotNull(okAfter);
    }
}
