using Platform.Engine.Blending;
using Platform.Engine.Serving;
using static Platform.Engine.Tests.BlendHarness;

namespace Platform.Engine.Tests;

/// <summary>CacheBlend in the engine: exactness at r = 1, reuse in any order, repeats, and the r = 0 baseline.</summary>
public sealed class BlendTests
{
    private const int Vocab = 96;

    private static (int[] Tokens, InMemoryChunkKv Kv)[] Chunks(LlmEngine engine, params int[] lengths) =>
        [.. lengths.Select((n, i) => { var t = Tokens(100 + i, n, Vocab); return (t, ChunkKv(engine, t)); })];

    [Fact]
    public void Ratio_one_gives_exactly_the_tokens_of_a_full_prefill_on_a_dummy_model()
    {
        using var engine = Dummy();
        var chunks = Chunks(engine, 40, 33, 27, 50);
        var (prompt, spec) = Rag(Tokens(1, 9, Vocab), [.. chunks.Select(c => (c.Tokens, (IChunkKvSource?)c.Kv))], Tokens(2, 11, Vocab), 1.0);
        var full = Generate(engine, "full", prompt, 12);
        var final = Final(engine, EngineHarness.Greedy("blend", prompt, 12) with { Blend = spec, Sampling = Sampling.SamplingParams.Greedy(12) with { IgnoreEos = true } });
        var blended = Generate(engine, "blend-2", prompt, 12, spec);
        Assert.Equal(full.TokenIds, blended.TokenIds);
        Assert.True(final.Blend!.Blended);
        Assert.Equal(0, final.Blend.ReusedTokens);
        Assert.Equal(150, final.Blend.CachedTokens);
        Assert.True(final.Blend.BytesLoaded > 0);
        foreach (var (_, kv) in chunks)
        {
            kv.Dispose();
        }
    }

    [SkippableFact]
    public void Ratio_one_gives_exactly_the_tokens_of_a_full_prefill_on_stories260K()
    {
        using var engine = Stories();
        var tok = engine.Tokenizer!;
        int[] Enc(string s) => [.. tok.Encode(s, addSpecialTokens: false)];
        var texts = new[] { "Lily had a red ball. She liked to play with it in the park every day.", "Tom saw a big dog. The dog was brown and it ran very fast.", "The sun was hot, so the kids went to the lake to swim." };
        var chunks = texts.Select(t => { var ids = Enc(t); return (ids, (IChunkKvSource?)ChunkKvComputer.Compute(engine, ids, engine.Model.Config.BosTokenId ?? Bos)); }).ToArray();
        var (prompt, spec) = Rag(Enc("Once upon a time"), chunks, Enc(" One day, Lily"), 1.0);
        prompt[0] = engine.Model.Config.BosTokenId ?? Bos;
        var full = Generate(engine, "full", prompt, 24);
        var blended = Generate(engine, "blend", prompt, 24, spec);
        Assert.Equal(full.TokenIds, blended.TokenIds);
        var partial = Generate(engine, "blend-15", prompt, 24, spec with { RecomputeRatio = 0.15 });
        Assert.Equal(24, partial.TokenIds.Count);
        Assert.True(partial.Usage.CachedPromptTokens > 0, "a blend at r = 0.15 reports reused tokens as cached");
    }

    [Fact]
    public void The_same_chunks_in_another_order_reuse_the_same_entries_and_stay_exact_at_ratio_one()
    {
        using var engine = Dummy();
        var chunks = Chunks(engine, 30, 36, 24);
        var system = Tokens(5, 6, Vocab);
        var question = Tokens(6, 9, Vocab);
        var forward = chunks.Select(c => (c.Tokens, (IChunkKvSource?)c.Kv)).ToArray();
        var (p1, s1) = Rag(system, forward, question, 1.0);
        var (p2, s2) = Rag(system, [.. forward.Reverse()], question, 1.0);
        Assert.Equal(Generate(engine, "f1", p1, 8).TokenIds, Generate(engine, "b1", p1, 8, s1).TokenIds);
        Assert.Equal(Generate(engine, "f2", p2, 8).TokenIds, Generate(engine, "b2", p2, 8, s2).TokenIds);
        var reordered = Final(engine, EngineHarness.Greedy("b3", p2, 4) with { Blend = s2 with { RecomputeRatio = 0.15 } });
        Assert.True(reordered.Blend!.Blended);
        Assert.Equal(chunks.Sum(c => c.Tokens.Length) - (int)Math.Ceiling(0.15 * 90), reordered.Blend.ReusedTokens);
        // Layers 1..3 per blend (layer 0 is recomputed for every token at r > 0), three blends, one entry each.
        Assert.All(chunks, c => Assert.Equal(3 * 3, c.Kv.LoadCount));
        Assert.Equal(3, engine.Stats().Blend.Blended);
        Assert.Equal(reordered.Blend.ReusedTokens, engine.Stats().Blend.TokensReused);
    }

    [Fact]
    public void An_exactly_repeated_chunk_is_loaded_once_and_blends()
    {
        using var engine = Dummy();
        var (tokens, kv) = Chunks(engine, 32)[0];
        var (prompt, spec) = Rag(Tokens(7, 5, Vocab), [(tokens, kv), (Tokens(8, 20, Vocab), null), (tokens, kv)], Tokens(9, 7, Vocab), 1.0);
        Assert.Equal(Generate(engine, "full", prompt, 10).TokenIds, Generate(engine, "blend", prompt, 10, spec).TokenIds);
        Assert.Equal(3, kv.LoadCount);
        var at15 = Final(engine, EngineHarness.Greedy("blend-15", prompt, 3) with { Blend = spec with { RecomputeRatio = 0.15 } });
        Assert.True(at15.Blend!.Blended);
        Assert.Equal(64, at15.Blend.CachedTokens);
        Assert.Equal(64 - 10, at15.Usage!.CachedPromptTokens);
    }

    [Fact]
    public void Ratio_zero_is_full_reuse_every_cached_token_keeps_its_stored_kv_at_every_layer()
    {
        using var engine = Dummy();
        var chunks = Chunks(engine, 20, 28);
        var system = Tokens(3, 7, Vocab);
        var (prompt, spec) = Rag(system, [.. chunks.Select(c => (c.Tokens, (IChunkKvSource?)c.Kv))], Tokens(4, 6, Vocab), 0.0);
        var final = Final(engine, EngineHarness.Greedy("reuse", prompt, 1) with { Blend = spec, ExportKv = true });
        using var kv = final.Kv!;
        Assert.Equal(48, final.Blend!.ReusedTokens);
        Assert.Equal(prompt.Length - 48, final.Blend.RecomputedTokens);
        var rope = new RopeReRotation(engine.Model.Config);
        int start = 1 + system.Length;
        foreach (var (tokens, chunk) in chunks)
        {
            for (int layer = 0; layer < kv.Layers.Count; layer++)
            {
                var expectedK = rope.Rotate(chunk.Layer(layer).Keys, start - chunk.FirstPosition);
                Assert.True(expectedK.allclose(kv.Layers[layer].Keys.narrow(0, start, tokens.Length), 1e-5, 1e-6), $"K of layer {layer}");
                Assert.True(Same(chunk.Layer(layer).Values, kv.Layers[layer].Values.narrow(0, start, tokens.Length)), $"V of layer {layer}");
            }
            start += tokens.Length;
        }
        // Uncached tokens are computed: layer 0 of the prefix equals a full prefill's.
        var reference = Final(engine, EngineHarness.Greedy("full", prompt, 1) with { ExportKv = true });
        using var fullKv = reference.Kv!;
        Assert.True(fullKv.Layers[0].Keys.narrow(0, 0, 8).allclose(kv.Layers[0].Keys.narrow(0, 0, 8), 1e-5, 1e-6));
    }

    [Fact]
    public void Too_few_cached_tokens_fall_back_to_a_full_prefill_and_are_counted()
    {
        using var engine = Dummy();
        var chunks = Chunks(engine, 20);
        var (prompt, spec) = Rag(Tokens(3, 4, Vocab), [(chunks[0].Tokens, chunks[0].Kv)], Tokens(4, 6, Vocab), 0.15, minCached: 256);
        var full = Generate(engine, "full", prompt, 8);
        var final = Final(engine, EngineHarness.Greedy("blend", prompt, 8) with { Blend = spec });
        Assert.Equal(BlendFallbackReason.TooFewCachedTokens, final.Blend!.Fallback);
        Assert.Equal(0, final.Usage!.CachedPromptTokens);
        Assert.Equal(full.TokenIds, Generate(engine, "blend-2", prompt, 8, spec).TokenIds);
        Assert.Equal(2, engine.Stats().Blend.FallbacksTooFewCachedTokens);
        Assert.Equal(0, chunks[0].Kv.LoadCount);
    }

    [Fact]
    public void Segments_that_do_not_tile_the_prompt_are_refused_naming_the_problem()
    {
        using var engine = Dummy();
        var (tokens, kv) = Chunks(engine, 10)[0];
        var (prompt, spec) = Rag([], [(tokens, kv)], [5, 6], 0.15);
        var gap = spec with { Segments = [.. spec.Segments.Where(s => s.Cached is null)] };
        var e = Assert.Throws<ArgumentException>(() => engine.AddRequest(EngineHarness.Greedy("bad", prompt, 2) with { Blend = gap }));
        Assert.Contains("does not continue", e.Message);
        var ratio = Assert.Throws<ArgumentException>(() => engine.AddRequest(EngineHarness.Greedy("bad", prompt, 2) with { Blend = spec with { RecomputeRatio = 1.5 } }));
        Assert.Contains("ratio", ratio.Message);
        Assert.False(engine.HasUnfinishedRequests);
    }
}
