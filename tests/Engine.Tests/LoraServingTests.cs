using Platform.Engine.Configuration;
using Platform.Engine.Execution;
using Platform.Engine.Loading;
using Platform.Engine.Lora;
using Platform.Engine.Serving;
using static Platform.Engine.Tests.EngineHarness;
using static TorchSharp.torch;

namespace Platform.Engine.Tests;

public sealed class LoraServingTests
{
    private static readonly int[] Prompt = [1, 403, 407, 261, 378, 300, 26, 275, 319, 290, 27, 292, 411, 330, 358, 295, 267, 407];

    [SkippableFact]
    public void An_adapter_with_B_zero_changes_no_output_and_its_kv_is_kept_apart_from_the_base()
    {
        using var engine = Stories();
        var dir = LoraTestAdapters.SaveRandom("zero", engine.Model.Config, rank: 8, seed: 1, bScale: 0);
        engine.Adapters.Load("zero", dir);
        var baseline = Run(engine, Greedy("base", Prompt, 24))[0];
        var adapted = Run(engine, Greedy("zero", Prompt, 24) with { Adapter = "zero" })[0];
        Assert.Equal(baseline.TokenIds, adapted.TokenIds);
        // Same prompt, same weights in effect, but computed under another adapter: no prefix reuse across them.
        Assert.Equal(0, adapted.Usage.CachedPromptTokens);
        var again = Run(engine, Greedy("zero2", Prompt, 24) with { Adapter = "zero" })[0];
        Assert.True(again.Usage.CachedPromptTokens > 0);
    }

    [SkippableFact]
    public void A_request_under_adapter_X_batched_with_Y_Z_and_base_gives_the_tokens_it_gives_alone()
    {
        using var config = Stories();
        var names = new[] { "x", "y", "z" };
        var dirs = names.Select((n, i) => LoraTestAdapters.SaveRandom(n, config.Model.Config, rank: 4 + 2 * i, seed: 10 + i, bScale: 0.05)).ToArray();
        var options = new EngineOptions { KvCacheBytes = 8L * 1024 * 1024, MaxBatchedTokens = 48 };
        using var batched = Stories(options);
        for (int i = 0; i < names.Length; i++)
        {
            batched.Adapters.Load(names[i], dirs[i]);
        }
        var random = new Random(5);
        var requests = Enumerable.Range(0, 12).Select(i =>
        {
            IReadOnlyList<int> prompt = [1, .. Enumerable.Range(0, 3 + random.Next(40)).Select(_ => 3 + random.Next(509))];
            string? adapter = i % 4 == 3 ? null : names[i % 4];
            return Greedy($"r{i}", prompt, 12) with { Adapter = adapter };
        }).ToArray();
        var together = Run(batched, requests);

        using var alone = Stories(options);
        for (int i = 0; i < names.Length; i++)
        {
            alone.Adapters.Load(names[i], dirs[i]);
        }
        int differFromBase = 0;
        for (int i = 0; i < requests.Length; i++)
        {
            var single = Run(alone, requests[i] with { RequestId = $"a{i}" })[0];
            Assert.Equal(single.TokenIds, together[i].TokenIds);
            if (requests[i].Adapter is not null && !Run(alone, requests[i] with { RequestId = $"b{i}", Adapter = null })[0].TokenIds.SequenceEqual(single.TokenIds))
            {
                differFromBase++;
            }
        }
        // The adapters really act: most adapted requests generate something else than the base model.
        Assert.True(differFromBase >= 6, $"only {differFromBase} of 9 adapted requests differ from the base model");
    }

    [SkippableFact]
    public void Merged_weights_equal_the_unmerged_adapter()
    {
        var dir = TestModels.RequireStories260K();
        var modelConfig = ModelConfig.Load(Path.Combine(dir, "config.json"));
        using var adapter = LoraTestAdapters.Random("m", modelConfig, rank: 8, seed: 3, bScale: 0.05, rsLora: true);
        using var unmerged = RunnerHarness.Stories();
        using var checkpoint = SafetensorsCheckpoint.Open(dir);
        using var merged = new RunnerHarness(ModelLoader.Create(modelConfig, new LoraMergedWeights(checkpoint, adapter), new EngineOptions()));

        using var scope = NewDisposeScope();
        var prompt = Prompt.ToList();
        var blocksA = unmerged.AllocateBlocks(prompt.Count);
        var blocksB = merged.AllocateBlocks(prompt.Count);
        var withAdapter = unmerged.Runner.Execute([new RunnerChunk(prompt, 0, prompt.Count, blocksA, true) { Adapter = adapter }])!;
        var mergedLogits = merged.Runner.Execute([new RunnerChunk(prompt, 0, prompt.Count, blocksB, true)])!;
        var baseLogits = unmerged.Runner.Execute([new RunnerChunk(prompt, 0, prompt.Count, unmerged.AllocateBlocks(prompt.Count), true)])!;
        Assert.True(mergedLogits.allclose(withAdapter, rtol: 1e-4, atol: 1e-4), $"max difference {(mergedLogits - withAdapter).abs().max().item<float>()}");
        Assert.False(baseLogits.allclose(withAdapter, rtol: 1e-3, atol: 1e-3));
    }

    [Fact]
    public void Rs_lora_scales_by_alpha_over_the_square_root_of_the_rank()
    {
        Assert.Equal(2.0, new LoraAdapterConfig(16, 32, [LoraTarget.QProj], false).Scale);
        Assert.Equal(8.0, new LoraAdapterConfig(16, 32, [LoraTarget.QProj], true).Scale);
    }

    [SkippableFact]
    public void Limits_and_bad_adapters_are_refused_with_errors_that_name_the_problem()
    {
        using var engine = Stories(new EngineOptions { KvCacheBytes = 8L * 1024 * 1024, MaxLoras = 2, MaxLoraRank = 8 });
        var model = engine.Model.Config;
        var tooHigh = Assert.Throws<LoraAdapterException>(() => engine.Adapters.Load("big", LoraTestAdapters.SaveRandom("big", model, 16, 1, 0.01)));
        Assert.Equal(LoraErrorKind.LimitExceeded, tooHigh.Kind);
        Assert.Contains("rank 16", tooHigh.Message);
        Assert.Contains("max LoRA rank 8", tooHigh.Message);

        engine.Adapters.Load("a", LoraTestAdapters.SaveRandom("a", model, 4, 1, 0.01));
        var duplicate = Assert.Throws<LoraAdapterException>(() => engine.Adapters.Load("a", LoraTestAdapters.SaveRandom("a", model, 4, 1, 0.01)));
        Assert.Equal(LoraErrorKind.AlreadyLoaded, duplicate.Kind);
        engine.Adapters.Load("b", LoraTestAdapters.SaveRandom("b", model, 4, 2, 0.01));
        Assert.Equal(2, engine.Stats().AdaptersResident);
        var full = Assert.Throws<LoraAdapterException>(() => engine.Adapters.Load("c", LoraTestAdapters.SaveRandom("c", model, 4, 3, 0.01)));
        Assert.Equal(LoraErrorKind.LimitExceeded, full.Kind);
        Assert.Contains("limit is 2", full.Message);

        var unknown = Assert.Throws<ArgumentException>(() => engine.AddRequest(Greedy("u", Prompt, 4) with { Adapter = "nope" }));
        Assert.Contains("'nope' is not loaded", unknown.Message);
        Assert.Equal(LoraErrorKind.NotFound, Assert.Throws<LoraAdapterException>(() => engine.Adapters.Unload("nope")).Kind);

        engine.Adapters.Unload("b");
        var wrongShape = LoraTestAdapters.SaveRandom("w", model with { HiddenSize = 32 }, 4, 1, 0.01, [LoraTarget.QProj]);
        var shape = Assert.Throws<LoraAdapterException>(() => engine.Adapters.Load("w", wrongShape));
        Assert.Contains("lora_A.weight' has shape [4, 32]", shape.Message);
        var badTarget = LoraTestAdapters.SaveRandom("t", model, 4, 1, 0.01, [LoraTarget.QProj]);
        File.WriteAllText(Path.Combine(badTarget, "adapter_config.json"), """{"peft_type":"LORA","r":4,"lora_alpha":8,"target_modules":["q_proj","lm_head"]}""");
        Assert.Contains("target module 'lm_head' is not supported", Assert.Throws<LoraAdapterException>(() => engine.Adapters.Load("t", badTarget)).Message);
        Assert.Contains("not found", Assert.Throws<LoraAdapterException>(() => engine.Adapters.Load("d", "/nonexistent/adapter")).Message);
        Assert.Equal(["a"], engine.Adapters.List().Select(a => a.Name));
        // The engine still serves after every refusal.
        Assert.Equal(4, Run(engine, Greedy("ok", Prompt, 4) with { Adapter = "a" })[0].TokenIds.Count);
    }

    [SkippableFact]
    public void Unloading_an_adapter_in_use_lets_running_requests_finish_and_refuses_new_ones()
    {
        using var engine = Stories();
        engine.Adapters.Load("a", LoraTestAdapters.SaveRandom("a", engine.Model.Config, 4, 1, 0.05));
        var expected = Run(engine, Greedy("first", Prompt, 16) with { Adapter = "a" })[0].TokenIds;
        var stream = engine.AddRequest(Greedy("running", Prompt, 16) with { Adapter = "a" });
        engine.Step();
        engine.Adapters.Unload("a");
        Assert.Throws<ArgumentException>(() => engine.AddRequest(Greedy("late", Prompt, 4) with { Adapter = "a" }));
        Drain(engine);
        Assert.Equal(expected, stream.CollectAsync().GetAwaiter().GetResult().TokenIds);
        Assert.Empty(engine.Adapters.List());
    }

    [SkippableFact]
    public void Requests_carrying_an_adapter_path_load_it_on_first_use_and_evict_the_least_recently_used_idle_one()
    {
        using var engine = Stories(new EngineOptions { KvCacheBytes = 8L * 1024 * 1024, MaxLoras = 2 });
        var model = engine.Model.Config;
        var paths = Enumerable.Range(0, 3).Select(i => LoraTestAdapters.SaveRandom($"p{i}", model, 4, 30 + i, 0.05)).ToArray();
        GenerationRequest Under(int i, string id) => Greedy(id, Prompt, 6) with { Adapter = $"p{i}", AdapterPath = paths[i] };

        var first = Run(engine, Under(0, "a"))[0].TokenIds;
        Run(engine, Under(1, "b"));
        Run(engine, Under(2, "c"));
        Assert.Equal(["p1", "p2"], engine.Adapters.List().Select(a => a.Name));
        Assert.Equal(first, Run(engine, Under(0, "d"))[0].TokenIds);
        Assert.Equal(["p0", "p2"], engine.Adapters.List().Select(a => a.Name));

        // Both resident adapters held by running requests: a third cannot come in.
        var running = new[] { engine.AddRequest(Under(0, "e")), engine.AddRequest(Under(2, "f")) };
        var full = Assert.Throws<ArgumentException>(() => engine.AddRequest(Under(1, "g")));
        Assert.Contains("are in use", full.Message);
        Drain(engine);
        Assert.All(running, s => Assert.Equal(6, s.CollectAsync().GetAwaiter().GetResult().TokenIds.Count));
    }
}
