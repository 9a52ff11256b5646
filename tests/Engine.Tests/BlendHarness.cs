using System.Text.Json;
using Platform.Engine.Blending;
using Platform.Engine.Configuration;
using Platform.Engine.Execution;
using Platform.Engine.Loading;
using Platform.Engine.Serving;
using static TorchSharp.torch;

namespace Platform.Engine.Tests;

/// <summary>Builds RAG-shaped prompts (<c>[BOS] + system + chunks + question</c>) and their blend specs for the CacheBlend tests.</summary>
internal static class BlendHarness
{
    public const int Bos = 1;

    public static ModelConfig TinyConfig(string extra = "") => JsonSerializer.Deserialize<ModelConfig>($$"""
        {"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 4,
         "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 96, "max_position_embeddings": 1024,
         "bos_token_id": 1, "eos_token_id": 2 {{extra}}}
        """)!;

    /// <summary>A dummy-weights engine; prefix caching off unless asked, so a full prefill is always one chunk.</summary>
    public static LlmEngine Dummy(ModelConfig? config = null, bool prefixCaching = false, long seed = 11)
    {
        var options = new EngineOptions { KvCacheBytes = 4L << 20, DummySeed = seed, EnablePrefixCaching = prefixCaching };
        return new LlmEngine(ModelLoader.CreateDummy(config ?? TinyConfig(), options), options, eosTokenIds: [2]);
    }

    public static LlmEngine Stories(bool prefixCaching = false) =>
        LlmEngine.Load(TestModels.RequireStories260K(), new EngineOptions { KvCacheBytes = 8L << 20, EnablePrefixCaching = prefixCaching });

    /// <summary>Deterministic pseudo-random tokens in [3, vocab).</summary>
    public static int[] Tokens(int seed, int count, int vocab) =>
        [.. Enumerable.Range(0, count).Select(i => 3 + (int)((((uint)seed * 2654435761u) + ((uint)i * 40503u) + ((uint)(i * i) * 7u)) % (uint)(vocab - 3)))];

    public static (int[] Prompt, BlendSpec Spec) Rag(
        int[] system, IReadOnlyList<(int[] Tokens, IChunkKvSource? Kv)> chunks, int[] question, double ratio, int minCached = 0)
    {
        var prompt = new List<int> { Bos };
        prompt.AddRange(system);
        var segments = new List<PromptSegment> { new(0, prompt.Count) };
        foreach (var (tokens, kv) in chunks)
        {
            segments.Add(new PromptSegment(prompt.Count, tokens.Length, kv));
            prompt.AddRange(tokens);
        }
        segments.Add(new PromptSegment(prompt.Count, question.Length));
        prompt.AddRange(question);
        return ([.. prompt], new BlendSpec(segments) { RecomputeRatio = ratio, MinCachedTokens = minCached });
    }

    public static InMemoryChunkKv ChunkKv(LlmEngine engine, int[] chunk) => ChunkKvComputer.Compute(engine, chunk, Bos);

    /// <summary>A chunk's KV from <c>[BOS] + chunk</c> prefilled on a bare model runner: the chunk's rows of every layer, as <paramref name="dtype"/>.</summary>
    public static InMemoryChunkKv RunnerChunkKv(RunnerHarness harness, int[] chunk, ScalarType dtype = ScalarType.Float32)
    {
        int[] tokens = [Bos, .. chunk];
        var blocks = harness.AllocateBlocks(tokens.Length);
        using var scope = NewDisposeScope();
        harness.Runner.Execute([new RunnerChunk(tokens, 0, tokens.Length, blocks, false)]);
        var layers = Enumerable.Range(0, harness.Cache.NumLayers).Select(l =>
        {
            var (k, v) = harness.Cache.ExportLayer(l, blocks, tokens.Length);
            return new ChunkKvLayer(
                k.narrow(0, 1, chunk.Length).to(dtype).clone().DetachFromDisposeScope(),
                v.narrow(0, 1, chunk.Length).to(dtype).clone().DetachFromDisposeScope());
        }).ToArray();
        return new InMemoryChunkKv(layers, 1);
    }

    public static GenerationResult Generate(LlmEngine engine, string id, int[] prompt, int maxTokens, BlendSpec? blend = null) =>
        EngineHarness.Run(engine, EngineHarness.Greedy(id, prompt, maxTokens) with { Blend = blend, Sampling = Sampling.SamplingParams.Greedy(maxTokens) with { IgnoreEos = true } })[0];

    /// <summary>Same shape and bitwise the same values.</summary>
    public static bool Same(TorchSharp.torch.Tensor a, TorchSharp.torch.Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    /// <summary>Runs one request to the end and returns its final event (report, KV).</summary>
    public static GenerationEvent Final(LlmEngine engine, GenerationRequest request)
    {
        var stream = engine.AddRequest(request);
        EngineHarness.Drain(engine);
        GenerationEvent? last = null;
        while (stream.Events.TryRead(out var e))
        {
            last = e;
        }
        Assert.NotNull(last);
        Assert.True(last!.IsFinal);
        return last;
    }
}
