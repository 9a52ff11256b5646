using Platform.Engine.Blending;
using Platform.Engine.Serving;
using static Platform.Engine.Tests.BlendHarness;

namespace Platform.Engine.Tests;

/// <summary>CacheBlend under a LoRA adapter: chunk KV computed under the adapter, blends that apply it to every computed token.</summary>
public sealed class BlendLoraTests
{
    private const int Vocab = 96;

    /// <summary>A dummy engine with adapter "x" resident: nonzero B, strong enough to change greedy tokens.</summary>
    private static LlmEngine EngineWithAdapter()
    {
        var engine = Dummy();
        engine.Adapters.Add(LoraTestAdapters.Random("x", engine.Model.Config, rank: 4, seed: 3, bScale: 0.5));
        return engine;
    }

    private static GenerationResult Run(LlmEngine engine, string id, int[] prompt, int maxTokens, string? adapter, BlendSpec? blend = null) =>
        EngineHarness.Run(engine, EngineHarness.Greedy(id, prompt, maxTokens) with
        {
            Adapter = adapter,
            Blend = blend,
            Sampling = Sampling.SamplingParams.Greedy(maxTokens) with { IgnoreEos = true },
        })[0];

    [Fact]
    public void Ratio_one_under_an_adapter_gives_exactly_the_tokens_of_a_full_prefill_under_it()
    {
        using var engine = EngineWithAdapter();
        var chunks = new[] { Tokens(200, 40, Vocab), Tokens(201, 33, Vocab), Tokens(202, 27, Vocab) };
        var kvs = chunks.Select(c => ChunkKvComputer.Compute(engine, c, Bos, adapter: "x")).ToArray();
        var (prompt, spec) = Rag(Tokens(203, 9, Vocab), [.. chunks.Select((c, i) => (c, (IChunkKvSource?)kvs[i]))], Tokens(204, 11, Vocab), 1.0);

        var baseFull = Run(engine, "base", prompt, 12, null);
        var full = Run(engine, "full", prompt, 12, "x");
        Assert.NotEqual(baseFull.TokenIds, full.TokenIds);
        var blended = Final(engine, EngineHarness.Greedy("blend", prompt, 12) with
        {
            Adapter = "x",
            Blend = spec,
            Sampling = Sampling.SamplingParams.Greedy(12) with { IgnoreEos = true },
        });
        Assert.True(blended.Blend!.Blended);
        Assert.Equal(full.TokenIds, Run(engine, "blend-2", prompt, 12, "x", spec).TokenIds);

        var partial = Run(engine, "blend-15", prompt, 12, "x", spec with { RecomputeRatio = 0.15 });
        Assert.Equal(100 - (int)Math.Ceiling(0.15 * 100), partial.Usage.CachedPromptTokens);
        foreach (var kv in kvs)
        {
            kv.Dispose();
        }
    }

    [Fact]
    public void Chunk_kv_computed_under_the_adapter_is_what_a_prefill_under_it_holds_and_base_kv_is_not()
    {
        using var engine = EngineWithAdapter();
        var chunk = Tokens(210, 48, Vocab);
        using var adapted = ChunkKvComputer.Compute(engine, chunk, Bos, adapter: "x");
        using var baseKv = ChunkKvComputer.Compute(engine, chunk, Bos);
        // Layer 0's keys depend on the adapter's q/k/v deltas already.
        Assert.False(Same(adapted.Layer(0).Keys, baseKv.Layer(0).Keys));

        // r = 0 reuses the stored KV as it is: with the chunk right after BOS, where it was computed, the adapter's
        // own chunk KV gives the full prefill's tokens under the adapter; the base model's KV does not.
        var question = Tokens(211, 6, Vocab);
        var (prompt, spec) = Rag([], [(chunk, adapted)], question, 0.0);
        var full = Run(engine, "full", prompt, 10, "x");
        Assert.Equal(full.TokenIds, Run(engine, "reuse-adapted", prompt, 10, "x", spec).TokenIds);
        var (_, wrong) = Rag([], [(chunk, baseKv)], question, 0.0);
        Assert.NotEqual(full.TokenIds, Run(engine, "reuse-base", prompt, 10, "x", wrong).TokenIds);
    }

    [Fact]
    public void A_blend_under_an_adapter_that_falls_back_prefills_under_the_adapter()
    {
        using var engine = EngineWithAdapter();
        var chunk = Tokens(220, 40, Vocab);
        var (prompt, spec) = Rag(Tokens(221, 5, Vocab), [(chunk, new UnavailableChunk(chunk.Length))], Tokens(222, 7, Vocab), 0.15);
        var full = Run(engine, "full", prompt, 10, "x");
        var fellBack = Run(engine, "fallback", prompt, 10, "x", spec);
        Assert.Equal(1, engine.Stats().Blend.FallbacksChunkUnavailable);
        Assert.Equal(full.TokenIds, fellBack.TokenIds);
    }

    /// <summary>A chunk whose KV cannot be read (a store that lost it).</summary>
    private sealed class UnavailableChunk(int tokens) : IChunkKvSource
    {
        public int TokenCount => tokens;

        public int FirstPosition => 1;

        public Task<ChunkKvLayer> LoadLayerAsync(int layer, CancellationToken cancellationToken) =>
            Task.FromException<ChunkKvLayer>(new ChunkKvUnavailableException("lost"));
    }
}
