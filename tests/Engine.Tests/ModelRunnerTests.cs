using Platform.Engine.Tests.Reference;
using Xunit.Abstractions;

namespace Platform.Engine.Tests;

public sealed class ModelRunnerTests(ITestOutputHelper output)
{
    private static readonly int[][] Prompts =
    [
        [1, 403, 407, 261, 378],
        [1, 66, 85, 273, 339, 278, 294, 440, 359, 300, 266],
        [1, 300],
        [1, 285, 270, 405, 266, 461, 266, 340, 307, 333, 406, 314, 260, 277, 290, 300, 330, 302, 421, 335, 290, 278],
    ];

    [SkippableFact]
    public void Greedy_generation_equals_an_independent_full_forward_reference()
    {
        var dir = TestModels.RequireStories260K();
        var reference = new ReferenceLlama(dir);
        using var harness = RunnerHarness.Stories();
        foreach (var prompt in Prompts)
        {
            var expected = reference.Greedy(prompt, 24, new HashSet<int>());
            var actual = harness.GreedyBatch([prompt], 24)[0];
            output.WriteLine(string.Join(",", actual));
            Assert.Equal(expected, actual);
        }
    }

    [SkippableFact]
    public void A_sequence_gives_the_same_greedy_tokens_alone_and_in_a_batch_of_32_with_mixed_lengths()
    {
        TestModels.RequireStories260K();
        using var harness = RunnerHarness.Stories();
        var random = new Random(7);
        var prompts = Enumerable.Range(0, 32)
            .Select(i => (IReadOnlyList<int>)[1, .. Enumerable.Range(0, 1 + random.Next(60)).Select(_ => 3 + random.Next(509))])
            .ToArray();
        var batched = harness.GreedyBatch(prompts, 16);
        foreach (int i in new[] { 0, 5, 17, 31 })
        {
            Assert.Equal(harness.GreedyBatch([prompts[i]], 16)[0], batched[i]);
        }
    }

    [SkippableFact]
    public void Chunked_prefill_equals_one_shot_prefill()
    {
        TestModels.RequireStories260K();
        using var harness = RunnerHarness.Stories();
        foreach (int chunk in new[] { 1, 3, 7, 16 })
        {
            Assert.Equal(harness.GreedyBatch([Prompts[3]], 12)[0], harness.GreedyBatch([Prompts[3]], 12, chunk)[0]);
        }
    }

    [Theory]
    [InlineData(20)] // the prefix no longer than the chunk: causal kernel over padded queries
    [InlineData(33)] // a longer prefix: the materialized mask
    public void A_chunk_after_a_cached_prefix_gives_the_one_shot_prefills_logits(int prefix)
    {
        var config = BlendHarness.TinyConfig();
        using var model = Platform.Engine.Loading.ModelLoader.CreateDummy(config, new Platform.Engine.Configuration.EngineOptions { DummySeed = 11 });
        using var harness = new RunnerHarness(model, 64, 16);
        var tokens = BlendHarness.Tokens(95, 40, 96);
        var oneShotBlocks = harness.AllocateBlocks(tokens.Length);
        var chunkedBlocks = harness.AllocateBlocks(tokens.Length);
        using var scope = TorchSharp.torch.NewDisposeScope();
        var oneShot = harness.Runner.Execute([new(tokens, 0, tokens.Length, oneShotBlocks, true)])!;
        harness.Runner.Execute([new(tokens, 0, prefix, chunkedBlocks, false)]);
        var chunked = harness.Runner.Execute([new(tokens, prefix, tokens.Length - prefix, chunkedBlocks, true)])!;
        Assert.True(oneShot.allclose(chunked, 1e-4, 1e-5), $"max difference {(oneShot - chunked).abs().max().item<float>()}");
    }

    [SkippableFact]
    public void Incremental_decoding_logits_match_the_full_forward_pass()
    {
        var dir = TestModels.RequireStories260K();
        var reference = new ReferenceLlama(dir);
        using var harness = RunnerHarness.Stories();
        var tokens = Prompts[1].ToList();
        var blocks = harness.AllocateBlocks(tokens.Count + 8);
        int computed = 0;
        for (int step = 0; step < 8; step++)
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            var logits = harness.Runner.Execute([new(tokens, computed, tokens.Count - computed, blocks, true)])!;
            var actual = logits[0].data<float>().ToArray();
            var expected = reference.Forward(tokens)[^1];
            for (int v = 0; v < expected.Length; v++)
            {
                Assert.True(Math.Abs(expected[v] - actual[v]) < 1e-3, $"step {step} logit {v}: {actual[v]} vs {expected[v]}");
            }
            computed = tokens.Count;
            tokens.Add(Array.IndexOf(expected, expected.Max()));
        }
    }

    [Fact]
    public void A_layer_frees_its_intermediates_before_the_next_one_runs()
    {
        var config = BlendHarness.TinyConfig() with { NumHiddenLayers = 6 };
        using var harness = new RunnerHarness(Platform.Engine.Loading.ModelLoader.CreateDummy(config, new Configuration.EngineOptions { DummySeed = 3 }));
        var tokens = BlendHarness.Tokens(4, 80, config.VocabSize);
        var sink = new LiveTensorSink();
        using (var scope = TorchSharp.torch.NewDisposeScope())
        {
            harness.Runner.Execute([new(tokens, 0, tokens.Length, harness.AllocateBlocks(tokens.Length), true, sink)]);
        }
        // Live tensors as each layer's K/V reach the sink: the same after every layer, so a pass holds one
        // layer's activations at a time however deep the model.
        Assert.Equal(6, sink.LiveAfterLayer.Count);
        Assert.All(sink.LiveAfterLayer, live => Assert.Equal(sink.LiveAfterLayer[0], live));
    }

    private sealed class LiveTensorSink : Execution.IKvLayerSink
    {
        public List<long> LiveAfterLayer { get; } = [];

        public void OnLayer(int layer, TorchSharp.torch.Tensor keys, TorchSharp.torch.Tensor values)
        {
            keys.Dispose();
            values.Dispose();
            LiveAfterLayer.Add(TorchSharp.torch.Tensor.TotalCount);
        }
    }
}
