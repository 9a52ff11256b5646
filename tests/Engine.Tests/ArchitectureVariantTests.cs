using System.Text.Json;
using Platform.Engine.Configuration;
using Platform.Engine.Execution;
using Platform.Engine.Loading;
using Platform.Engine.Serving;
using static TorchSharp.torch;

namespace Platform.Engine.Tests;

/// <summary>Config variants the real checkpoint does not exercise: Qwen2 biases, Mistral's sliding window,
/// half-precision compute.</summary>
public sealed class ArchitectureVariantTests
{
    private static ModelConfig Tiny(string architecture, string extra = "") => JsonSerializer.Deserialize<ModelConfig>($$"""
        {"architectures": ["{{architecture}}"], "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 64, "max_position_embeddings": 128 {{extra}}}
        """)!;

    /// <summary>Logits at the last position: all at once, and one token at a time through the KV cache.</summary>
    private static (float[] OneShot, float[] Incremental) LastLogits(ModelConfig config, int length)
    {
        using var model = ModelLoader.CreateDummy(config, new EngineOptions { DummySeed = 3 });
        using var harness = new RunnerHarness(model, 32, 4);
        var tokens = Enumerable.Range(0, length).Select(i => (i * 7 + 3) % 64).ToArray();
        using var scope = NewDisposeScope();
        var oneShot = harness.Runner.Execute([new RunnerChunk(tokens, 0, length, harness.AllocateBlocks(length), true)])!.data<float>().ToArray();
        var blocks = harness.AllocateBlocks(length);
        float[] incremental = [];
        for (int i = 0; i < length; i++)
        {
            incremental = harness.Runner.Execute([new RunnerChunk(tokens, i, 1, blocks, i == length - 1)])?.data<float>().ToArray() ?? incremental;
        }
        return (oneShot, incremental);
    }

    [Fact]
    public void Sliding_window_masks_agree_between_prefill_and_decode_and_change_long_contexts_only()
    {
        var windowed = Tiny("MistralForCausalLM", """, "sliding_window": 6""");
        var (oneShot, incremental) = LastLogits(windowed, 20);
        Assert.All(Enumerable.Range(0, oneShot.Length), i => Assert.Equal(oneShot[i], incremental[i], 1e-4f));

        var full = LastLogits(Tiny("MistralForCausalLM"), 20).OneShot;
        Assert.True(full.Zip(oneShot).Any(p => Math.Abs(p.First - p.Second) > 1e-3), "a 6-token window must change a 20-token context");
        var shortWindowed = LastLogits(windowed, 6).OneShot;
        var shortFull = LastLogits(Tiny("MistralForCausalLM"), 6).OneShot;
        Assert.All(Enumerable.Range(0, shortFull.Length), i => Assert.Equal(shortFull[i], shortWindowed[i], 1e-5f));
    }

    [Fact]
    public void Qwen2_loads_q_k_v_biases_and_no_output_bias()
    {
        var config = Tiny("Qwen2ForCausalLM", """, "tie_word_embeddings": true""");
        Assert.True(config.QkvBias);
        Assert.False(config.OutputBias);
        var (oneShot, incremental) = LastLogits(config, 9);
        Assert.All(Enumerable.Range(0, oneShot.Length), i => Assert.Equal(oneShot[i], incremental[i], 1e-4f));
    }

    [SkippableTheory]
    [InlineData("bfloat16")]
    [InlineData("float16")]
    public void Half_precision_compute_generates_text_close_to_float32(string dtype)
    {
        var dir = TestModels.RequireStories260K();
        using var engine = LlmEngine.Load(dir, new EngineOptions { DType = dtype, KvCacheBytes = 4L << 20 });
        using var reference = LlmEngine.Load(dir, new EngineOptions { KvCacheBytes = 4L << 20 });
        var prompt = engine.Tokenizer!.Encode("Once upon a time");
        var half = EngineHarness.Run(engine, EngineHarness.Greedy("h", prompt, 8))[0];
        var full = EngineHarness.Run(reference, EngineHarness.Greedy("f", prompt, 8))[0];
        Assert.Equal(ModelLoader.ParseDType(dtype), engine.Cache.DType);
        // Rounding may flip a later near-tie; the first tokens of a trained model's greedy text survive it.
        Assert.Equal(full.TokenIds.Take(3), half.TokenIds.Take(3));
    }
}
