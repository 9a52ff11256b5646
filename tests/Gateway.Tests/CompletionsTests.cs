using System.Net;
using Platform.Engine.Configuration;
using Platform.Engine.Sampling;
using Platform.Engine.Serving;

namespace Platform.Gateway.Tests;

/// <summary>/v1/completions over raw HTTP (the SDK has no legacy completions client).</summary>
[Collection(StoriesGatewayCollection.Name)]
public sealed class CompletionsTests(StoriesGatewayFixture fixture)
{
    [SkippableFact]
    public async Task GreedyCompletionEqualsTheEnginesOwnGreedyOutput()
    {
        var server = fixture.Server;
        var dir = TestModels.RequireStories260K();
        using var engine = LlmEngine.Load(dir, new EngineOptions { KvCacheBytes = 8L << 20 });
        using var cts = new CancellationTokenSource(GatewayServer.Timeout);
        var loop = engine.RunAsync(cts.Token);
        foreach (var prompt in new[] { "Once upon a time", "The little bird flew", "Lily and Tom went to the park" })
        {
            var ids = engine.Tokenizer!.Encode(prompt);
            var expected = await engine.AddRequest(new GenerationRequest(prompt, ids, SamplingParams.Greedy(24))).CollectAsync(cts.Token);

            var (status, body) = await Json.PostAsync(server.Http, "/v1/completions",
                new { model = "stories", prompt = ids, max_tokens = 24, temperature = 0 });
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(expected.Text, Json.Text(body));
            Assert.Equal(expected.TokenIds.Count, (int)body["usage"]!["completion_tokens"]!);
            Assert.Equal(expected.Finish == FinishReason.Stop ? "stop" : "length", (string)body["choices"]![0]!["finish_reason"]!);

            // The same prompt as text tokenizes to the same ids (BOS added as for the engine).
            var (_, byText) = await Json.PostAsync(server.Http, "/v1/completions", new { prompt, max_tokens = 24, temperature = 0 });
            Assert.Equal(expected.Text, Json.Text(byText));
            Assert.Equal(ids.Length, (int)byText["usage"]!["prompt_tokens"]!);
        }
        await cts.CancelAsync();
        await loop;
    }

    [SkippableFact]
    public async Task StreamingEventsAddUpToTheWholeCompletionAndEndWithUsage()
    {
        var request = new { model = "stories", prompt = "Once upon a time", max_tokens = 20, temperature = 0 };
        var (_, whole) = await Json.PostAsync(fixture.Server.Http, "/v1/completions", request);
        var events = await Json.StreamAsync(fixture.Server.Http, "/v1/completions",
            new { request.model, request.prompt, request.max_tokens, request.temperature, stream = true, stream_options = new { include_usage = true } });

        var chunks = events.Take(events.Count - 1).Select(e => System.Text.Json.Nodes.JsonNode.Parse(e)!).ToList();
        Assert.All(chunks, c => Assert.Equal("text_completion", (string)c["object"]!));
        var usageChunk = chunks[^1];
        Assert.Empty(usageChunk["choices"]!.AsArray());
        Assert.Equal(20, (int)usageChunk["usage"]!["completion_tokens"]!);
        var text = string.Concat(chunks.SkipLast(1).Select(c => (string)c["choices"]![0]!["text"]!));
        Assert.Equal(Json.Text(whole), text);
        Assert.Equal("length", (string)chunks[^2]["choices"]![0]!["finish_reason"]!);
    }

    [SkippableFact]
    public async Task RepeatedPromptReportsCachedTokens()
    {
        // Unique and longer than a KV block, so the second request finds whole blocks in the prefix cache.
        var prompt = $"Request {Guid.NewGuid():N}: once upon a time there was a little girl named Lily who loved to play in the park with her dog";
        var request = new { prompt, max_tokens = 4, temperature = 0 };
        var (_, first) = await Json.PostAsync(fixture.Server.Http, "/v1/completions", request);
        var (_, second) = await Json.PostAsync(fixture.Server.Http, "/v1/completions", request);

        Assert.Equal(0, (int)first["usage"]!["prompt_tokens_details"]!["cached_tokens"]!);
        int cached = (int)second["usage"]!["prompt_tokens_details"]!["cached_tokens"]!;
        Assert.True(cached >= 16, $"cached_tokens {cached}");
        Assert.True(cached < (int)second["usage"]!["prompt_tokens"]!);
    }

    [SkippableFact]
    public async Task NGivesIndependentSeededChoicesAndSumsUsage()
    {
        var request = new { prompt = "Once upon a time", max_tokens = 12, temperature = 1.0, seed = 7, n = 2 };
        var (status, body) = await Json.PostAsync(fixture.Server.Http, "/v1/completions", request);
        Assert.Equal(HttpStatusCode.OK, status);
        var choices = body["choices"]!.AsArray();
        Assert.Equal([0, 1], choices.Select(c => (int)c!["index"]!));
        Assert.Equal(24, (int)body["usage"]!["completion_tokens"]!);
        Assert.Equal(5, (int)body["usage"]!["prompt_tokens"]!);

        // Choice i uses seed + i: choice 1 of seed 7 is choice 0 of seed 8.
        var (_, seed8) = await Json.PostAsync(fixture.Server.Http, "/v1/completions", new { request.prompt, request.max_tokens, request.temperature, seed = 8 });
        Assert.Equal(Json.Text(seed8), Json.Text(body, 1));
        var (_, again) = await Json.PostAsync(fixture.Server.Http, "/v1/completions", request);
        Assert.Equal(Json.Text(body, 0), Json.Text(again, 0));
        Assert.Equal(Json.Text(body, 1), Json.Text(again, 1));
    }

    [SkippableFact]
    public async Task LogprobsUseTheLegacyFormat()
    {
        var (_, body) = await Json.PostAsync(fixture.Server.Http, "/v1/completions",
            new { prompt = "Once upon a time", max_tokens = 6, temperature = 0, logprobs = 2 });
        var logprobs = body["choices"]![0]!["logprobs"]!;
        var tokens = logprobs["tokens"]!.AsArray().Select(t => (string)t!).ToList();
        Assert.Equal(6, tokens.Count);
        Assert.Equal(Json.Text(body), string.Concat(tokens));
        Assert.All(logprobs["token_logprobs"]!.AsArray(), l => Assert.True((float)l! <= 0));
        Assert.All(logprobs["top_logprobs"]!.AsArray(), t => Assert.Equal(2, t!.AsObject().Count));
        var offsets = logprobs["text_offset"]!.AsArray().Select(o => (int)o!).ToList();
        Assert.Equal(0, offsets[0]);
        for (int i = 1; i < offsets.Count; i++)
        {
            Assert.Equal(offsets[i - 1] + tokens[i - 1].Length, offsets[i]);
        }
    }

    [SkippableFact]
    public async Task StreamingChatWithTwoChoicesEndsEachAndReportsUsage()
    {
        var events = await Json.StreamAsync(fixture.Server.Http, "/v1/chat/completions", new
        {
            messages = new[] { new { role = "user", content = "Hello" } },
            max_tokens = 5, n = 2, temperature = 0, stream = true, stream_options = new { include_usage = true },
        });
        var chunks = events.SkipLast(1).Select(e => System.Text.Json.Nodes.JsonNode.Parse(e)!).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", (string)c["object"]!));
        var finishes = chunks.SelectMany(c => c["choices"]!.AsArray())
            .Where(c => c!["finish_reason"] is not null)
            .Select(c => (int)c!["index"]!)
            .Order();
        Assert.Equal([0, 1], finishes);
        Assert.Equal(10, (int)chunks[^1]["usage"]!["completion_tokens"]!);
        var texts = Enumerable.Range(0, 2).Select(i => string.Concat(chunks.SelectMany(c => c["choices"]!.AsArray())
            .Where(c => (int)c!["index"]! == i)
            .Select(c => (string?)c!["delta"]!["content"] ?? ""))).ToList();
        Assert.Equal(texts[0], texts[1]);
    }
}
