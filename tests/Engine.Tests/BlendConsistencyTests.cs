using Platform.Engine.Blending;
using Platform.Engine.Configuration;
using Platform.Engine.Execution;
using Platform.Engine.Loading;
using static Platform.Engine.Tests.BlendHarness;
using static TorchSharp.torch;

namespace Platform.Engine.Tests;

/// <summary>The blend's own forward pass against the model runner over the same blended cache.</summary>
public sealed class BlendConsistencyTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.15)]
    [InlineData(0.5)]
    public void The_blends_logits_equal_a_decode_step_of_the_last_token_over_the_blended_kv(double ratio)
    {
        var config = TinyConfig();
        using var model = ModelLoader.CreateDummy(config, new EngineOptions { DummySeed = 5 });
        using var harness = new RunnerHarness(model, 64, 16);
        var chunks = new[] { Tokens(90, 30, 96), Tokens(91, 21, 96) };
        var kvs = chunks.Select(c => RunnerChunkKv(harness, c)).ToArray();
        var (prompt, spec) = Rag(Tokens(92, 6, 96), [(chunks[0], kvs[0]), (chunks[1], kvs[1])], Tokens(93, 9, 96), ratio);
        var blocks = harness.AllocateBlocks(prompt.Length);
        var plan = BlendPlan.Create(spec, prompt.Length);
        using var scope = NewDisposeScope();
        using var loads = new ChunkKvPrefetcher(plan.Sources, config.NumHiddenLayers, 2, 16, l => BlendedPrefill.NeedsLayer(plan, l), TimeSpan.FromSeconds(30));
        var (blended, _) = new BlendedPrefill(model, harness.Cache, new RopeReRotation(config)).Run(prompt, blocks, plan, loads, null);
        var decoded = harness.Runner.Execute([new RunnerChunk(prompt, prompt.Length - 1, 1, blocks, true)])!;
        Assert.True(blended.allclose(decoded, 1e-4, 1e-5), $"max difference {(blended - decoded).abs().max().item<float>()}");
        foreach (var kv in kvs)
        {
            kv.Dispose();
        }
    }

    [Fact]
    public void The_check_layers_kv_only_pass_writes_exactly_the_kv_a_full_layer_pass_writes()
    {
        var config = TinyConfig();
        using var model = ModelLoader.CreateDummy(config, new EngineOptions { DummySeed = 7 });
        using var harness = new RunnerHarness(model, 64, 16);
        var tokens = Tokens(94, 37, 96);
        var full = harness.AllocateBlocks(tokens.Length);
        var kvOnly = harness.AllocateBlocks(tokens.Length);
        using var scope = NewDisposeScope();
        harness.Runner.Execute([new RunnerChunk(tokens, 0, tokens.Length, full, false)]);
        var x = model.Embed(tensor(tokens.Select(t => (long)t).ToArray()));
        var angles = model.Rope.Lookup(arange(tokens.Length, ScalarType.Int64));
        model.Layers[0].WriteKv(x, angles, tensor(harness.Cache.SlotsOf(kvOnly, 0, tokens.Length)), harness.Cache);
        var (k0, v0) = harness.Cache.ExportLayer(0, full, tokens.Length);
        var (k1, v1) = harness.Cache.ExportLayer(0, kvOnly, tokens.Length);
        Assert.True(k0.allclose(k1, 1e-5, 1e-6), $"K differs by {(k0 - k1).abs().max().item<float>()}");
        Assert.True(v0.allclose(v1, 1e-5, 1e-6), $"V differs by {(v0 - v1).abs().max().item<float>()}");
        Assert.True(k1.abs().sum().item<float>() > 0, "the kv-only pass wrote nothing");
    }
}
