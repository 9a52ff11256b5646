using Platform.Engine.Configuration;
using Platform.Engine.Sampling;
using Platform.Engine.Serving;
using Platform.Engine.Tests.Reference;
using TorchSharp;
using static Platform.Engine.Tests.EngineHarness;

namespace Platform.Engine.Tests;

public sealed class EngineTests
{
    [SkippableFact]
    public void Greedy_story_from_the_real_checkpoint_matches_its_documented_continuation()
    {
        using var engine = Stories();
        var prompt = engine.Tokenizer!.Encode("Once upon a time");
        var result = Run(engine, Greedy("r1", prompt, 32, 1))[0];
        Assert.True(result.Text.StartsWith(", there was a little girl named Lily. She loved to play outside in the park.", StringComparison.Ordinal), $"got \"{result.Text}\" from [{string.Join(",", result.TokenIds)}] for prompt [{string.Join(",", prompt)}]");
        Assert.Equal(new Usage(prompt.Length, result.TokenIds.Count, 0), result.Usage);
    }

    [SkippableFact]
    public void Scheduled_batches_with_chunked_prefill_equal_the_reference_for_each_request()
    {
        var reference = new ReferenceLlama(TestModels.RequireStories260K());
        using var engine = Stories(new EngineOptions { KvCacheBytes = 8L * 1024 * 1024, MaxBatchedTokens = 40 });
        var random = new Random(11);
        var prompts = Enumerable.Range(0, 32)
            .Select(i => (IReadOnlyList<int>)[1, .. Enumerable.Range(0, 1 + random.Next(70)).Select(_ => 3 + random.Next(509))])
            .ToArray();
        var results = Run(engine, [.. prompts.Select((p, i) => Greedy($"r{i}", p, 10))]);
        foreach (int i in new[] { 0, 9, 31 })
        {
            Assert.Equal(reference.Greedy(prompts[i], 10, new HashSet<int>()), results[i].TokenIds);
        }
        using var alone = Stories();
        for (int i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(Run(alone, Greedy($"a{i}", prompts[i], 10))[0].TokenIds, results[i].TokenIds);
        }
    }

    [SkippableFact]
    public void A_prefix_hit_gives_the_same_tokens_as_no_hit_and_is_reported_as_cached()
    {
        using var engine = Stories();
        var prompt = engine.Tokenizer!.Encode("Once upon a time, there was a little dog named Max. Max liked to run and jump in the big green park.");
        var cold = Run(engine, Greedy("cold", prompt, 20))[0];
        var warm = Run(engine, Greedy("warm", prompt, 20))[0];
        Assert.Equal(cold.TokenIds, warm.TokenIds);
        Assert.Equal(0, cold.Usage.CachedPromptTokens);
        Assert.Equal(prompt.Length / 16 * 16 == prompt.Length ? prompt.Length - 16 : prompt.Length / 16 * 16, warm.Usage.CachedPromptTokens);
        Assert.True(engine.Stats().PrefixCacheHits > 0);
    }

    [SkippableFact]
    public void Cancel_frees_the_blocks_at_once_and_ends_the_stream()
    {
        using var engine = Stories();
        var total = engine.Stats().NumTotalBlocks;
        var streams = Enumerable.Range(0, 4).Select(i => engine.AddRequest(Greedy($"c{i}", [1, 403, 407, 261, 378], 200))).ToArray();
        for (int i = 0; i < 5; i++)
        {
            engine.Step();
        }
        Assert.True(engine.Stats().NumFreeBlocks < total);
        foreach (var s in streams)
        {
            Assert.True(engine.Cancel(s.RequestId));
        }
        Assert.Equal(total, engine.Stats().NumFreeBlocks);
        Assert.False(engine.HasUnfinishedRequests);
        foreach (var s in streams)
        {
            var result = s.CollectAsync().GetAwaiter().GetResult();
            Assert.Equal(FinishReason.Cancelled, result.Finish);
        }
        Assert.False(engine.Cancel("c0"));
    }

    [SkippableFact]
    public void Preemption_by_recompute_keeps_outputs_and_leaks_no_blocks_or_tensors()
    {
        // 12 blocks of 16 tokens: eight 40-token sequences cannot all stay resident.
        var options = new EngineOptions { KvCacheBytes = 12 * 16 * 2 * 5 * 4 * 8 * 4, BlockSize = 16 };
        using var engine = Stories(options);
        var prompts = Enumerable.Range(0, 8).Select(i => (IReadOnlyList<int>)[1, 403 + i, 407, 261, 378, 300 + i]).ToArray();
        var expected = prompts.Select((p, i) => Run(engine, Greedy($"alone{i}", p, 40))[0].TokenIds).ToArray();
        long tensorsBefore = torch.Tensor.TotalCount;
        var results = Run(engine, [.. prompts.Select((p, i) => Greedy($"batch{i}", p, 40))]);
        Assert.True(engine.Stats().NumPreemptions > 0, "the test should force preemption");
        for (int i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(expected[i], results[i].TokenIds);
        }
        Assert.Equal(engine.Stats().NumTotalBlocks, engine.Stats().NumFreeBlocks);
        Assert.Equal(tensorsBefore, torch.Tensor.TotalCount);
    }

    [SkippableFact]
    public void Split_prefill_and_decode_equals_colocated_generation()
    {
        using var prefill = Stories();
        using var decode = Stories();
        var prompt = prefill.Tokenizer!.Encode("The little bird sang a song to the sun");
        var colocated = Run(prefill, Greedy("colocated", prompt, 30))[0];

        var first = Run(prefill, Greedy("prefill", prompt, 1) with { ExportKv = true })[0];
        var stream = prefill.AddRequest(Greedy("prefill-kv", prompt, 1) with { ExportKv = true });
        Drain(prefill);
        GenerationEvent? final = null;
        while (stream.Events.TryRead(out var e))
        {
            final = e;
        }
        using var kv = final!.Kv!;
        Assert.Equal(prompt.Length, kv.NumTokens);
        var imported = decode.TryImportRequest(Greedy("decode", prompt, 30), first.Tokens[0], kv)!;
        Drain(decode);
        var split = imported.CollectAsync().GetAwaiter().GetResult();
        Assert.Equal(colocated.TokenIds, split.TokenIds);
        Assert.Equal(colocated.Text, split.Text);
    }

    [SkippableFact]
    public void Seeded_sampling_repeats_alone_and_in_a_batch()
    {
        using var engine = Stories();
        var p = new SamplingParams { Temperature = 0.9, TopP = 0.95, Seed = 1234, MaxTokens = 30 };
        int[] prompt = [1, 403, 407, 261, 378];
        var alone = Run(engine, new GenerationRequest("s1", prompt, p))[0];
        var batch = Run(engine,
            new GenerationRequest("s2", prompt, p),
            new GenerationRequest("other", [1, 300, 301], p with { Seed = 9 }),
            new GenerationRequest("unseeded", prompt, p with { Seed = null }));
        Assert.Equal(alone.TokenIds, batch[0].TokenIds);
        var differentSeed = Run(engine, new GenerationRequest("s3", prompt, p with { Seed = 4321 }))[0];
        Assert.NotEqual(alone.TokenIds, differentSeed.TokenIds);
    }

    [SkippableFact]
    public void Stop_strings_stop_tokens_and_max_tokens_end_requests_with_the_right_reason()
    {
        using var engine = Stories();
        var prompt = engine.Tokenizer!.Encode("Once upon a time");
        var full = Run(engine, Greedy("full", prompt, 24))[0];
        var byString = Run(engine, new GenerationRequest("str", prompt, SamplingParams.Greedy(24) with { StopStrings = ["Lily"] }))[0];
        Assert.Equal(FinishReason.Stop, byString.Finish);
        Assert.Equal("Lily", byString.StopReason);
        Assert.Equal(full.Text[..full.Text.IndexOf("Lily", StringComparison.Ordinal)], byString.Text);

        var byToken = Run(engine, Greedy("tok", prompt, 24, full.TokenIds[3]))[0];
        Assert.Equal(FinishReason.Stop, byToken.Finish);
        Assert.Equal(full.TokenIds.Take(4), byToken.TokenIds);
        Assert.Equal(engine.Tokenizer.Decode(full.TokenIds.Take(3).ToList()), byToken.Text);

        var withLogprobs = Run(engine, new GenerationRequest("lp", prompt, SamplingParams.Greedy(3) with { Logprobs = true, TopLogprobs = 2 }))[0];
        Assert.All(withLogprobs.Tokens, t => Assert.Equal(t.TokenId, t.TopLogprobs[0].TokenId));
    }

    [SkippableFact]
    public void Bad_requests_are_refused_with_clear_errors_and_the_engine_keeps_serving()
    {
        using var engine = Stories();
        Assert.Contains("maximum context length is 512",
            Assert.Throws<ArgumentException>(() => engine.AddRequest(Greedy("long", [.. Enumerable.Repeat(5, 600)], 4))).Message);
        Assert.Contains("outside the vocabulary",
            Assert.Throws<ArgumentException>(() => engine.AddRequest(Greedy("oov", [1, 99999], 4))).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => engine.AddRequest(Greedy("empty", [], 4))).Message);
        engine.AddRequest(Greedy("dup", [1, 5], 4));
        Assert.Contains("already in use", Assert.Throws<ArgumentException>(() => engine.AddRequest(Greedy("dup", [1, 5], 4))).Message);
        Drain(engine);
        Assert.Equal(4, Run(engine, Greedy("ok", [1, 403], 4))[0].TokenIds.Count);
    }
}
