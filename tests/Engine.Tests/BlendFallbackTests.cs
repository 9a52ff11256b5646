using Platform.Engine.Blending;
using Platform.Engine.Execution;
using Platform.Engine.Serving;
using static Platform.Engine.Tests.BlendHarness;
using static TorchSharp.torch;

namespace Platform.Engine.Tests;

/// <summary>CacheBlend when a store fails, beside other requests, towards a KV sink and the prefix cache.</summary>
public sealed class BlendFallbackTests
{
    private const int Vocab = 96;

    public enum Failure { Throws, WrongShape, OtherException, NeverAnswers }

    /// <summary>Serves a chunk like <see cref="InMemoryChunkKv"/> until <paramref name="FailAt"/>, then fails as told.</summary>
    private sealed class FailingChunk(InMemoryChunkKv inner, int failAt, Failure failure) : IChunkKvSource
    {
        public int TokenCount => inner.TokenCount;
        public int FirstPosition => inner.FirstPosition;

        public async Task<ChunkKvLayer> LoadLayerAsync(int layer, CancellationToken cancellationToken)
        {
            if (layer < failAt)
            {
                return await inner.LoadLayerAsync(layer, cancellationToken);
            }
            switch (failure)
            {
                case Failure.Throws:
                    throw new ChunkKvUnavailableException("checksum mismatch");
                case Failure.OtherException:
                    throw new IOException("connection reset");
                case Failure.WrongShape:
                    var good = await inner.LoadLayerAsync(layer, cancellationToken);
                    using (good)
                    {
                        return new ChunkKvLayer(good.Keys.narrow(0, 1, TokenCount - 1).clone(), good.Values.clone());
                    }
                default:
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                    throw new InvalidOperationException("unreachable");
            }
        }
    }

    private sealed class CollectingSink : IKvLayerSink
    {
        public List<(int Layer, Tensor Keys, Tensor Values)> Layers { get; } = [];

        public void OnLayer(int layer, Tensor keys, Tensor values) => Layers.Add((layer, keys, values));
    }

    [Theory]
    [InlineData(Failure.Throws, 2, BlendFallbackReason.ChunkUnavailable)]
    [InlineData(Failure.Throws, 1, BlendFallbackReason.ChunkUnavailable)]
    [InlineData(Failure.WrongShape, 3, BlendFallbackReason.ChunkUnavailable)]
    [InlineData(Failure.OtherException, 2, BlendFallbackReason.ChunkUnavailable)]
    [InlineData(Failure.NeverAnswers, 2, BlendFallbackReason.LoadTimeout)]
    public void A_chunk_that_fails_to_load_falls_back_to_a_full_prefill_with_its_exact_output_and_kv(Failure failure, int failAt, BlendFallbackReason reason)
    {
        using var engine = Dummy();
        var good = Tokens(30, 24, Vocab);
        var bad = Tokens(31, 30, Vocab);
        using var goodKv = ChunkKv(engine, good);
        using var badKv = ChunkKv(engine, bad);
        var (prompt, spec) = Rag(Tokens(32, 6, Vocab), [(good, goodKv), (bad, new FailingChunk(badKv, failAt, failure))], Tokens(33, 8, Vocab), 0.15);
        spec = failure == Failure.NeverAnswers ? spec with { LoadTimeout = TimeSpan.FromMilliseconds(300) } : spec;
        var full = Final(engine, EngineHarness.Greedy("full", prompt, 6) with { ExportKv = true });
        var sink = new CollectingSink();
        var blended = Final(engine, EngineHarness.Greedy("blend", prompt, 6) with { Blend = spec, KvLayerSink = sink });
        Assert.Equal(reason, blended.Blend!.Fallback);
        Assert.Equal(full.Usage!.CompletionTokens, blended.Usage!.CompletionTokens);
        Assert.Equal(0, blended.Usage.CachedPromptTokens);
        // The sink saw each layer once, from the full prefill: never a blended layer before the failure.
        Assert.Equal(Enumerable.Range(0, 4), sink.Layers.Select(l => l.Layer));
        using var fullKv = full.Kv!;
        for (int layer = 0; layer < 4; layer++)
        {
            Assert.True(Same(fullKv.Layers[layer].Keys.narrow(0, 0, prompt.Length), sink.Layers[layer].Keys));
            Assert.True(Same(fullKv.Layers[layer].Values.narrow(0, 0, prompt.Length), sink.Layers[layer].Values));
        }
        var again = Generate(engine, "blend-again", prompt, 6, spec);
        Assert.Equal(Generate(engine, "full-again", prompt, 6).TokenIds, again.TokenIds);
        Assert.Equal(2, reason == BlendFallbackReason.LoadTimeout ? engine.Stats().Blend.FallbacksLoadTimeout : engine.Stats().Blend.FallbacksChunkUnavailable);
        Assert.Equal(engine.Stats().NumTotalBlocks, engine.Stats().NumFreeBlocks);
    }

    [Fact]
    public async Task Blended_kv_handed_to_a_layer_sink_equals_the_kv_in_the_cache()
    {
        using var engine = Dummy();
        var a = Tokens(40, 26, Vocab);
        var b = Tokens(41, 34, Vocab);
        using var aKv = ChunkKv(engine, a);
        using var bKv = ChunkKv(engine, b);
        var (prompt, spec) = Rag(Tokens(42, 5, Vocab), [(a, aKv), (b, bKv)], Tokens(43, 7, Vocab), 0.3);
        var sink = new CollectingSink();
        var final = Final(engine, EngineHarness.Greedy("blend", prompt, 1) with { Blend = spec, KvLayerSink = sink, ExportKv = true });
        Assert.True(final.Blend!.Blended);
        using var kv = final.Kv!;
        Assert.Equal(Enumerable.Range(0, 4), sink.Layers.Select(l => l.Layer));
        for (int layer = 0; layer < 4; layer++)
        {
            Assert.Equal(prompt.Length, sink.Layers[layer].Keys.shape[0]);
            Assert.True(Same(kv.Layers[layer].Keys, sink.Layers[layer].Keys));
            Assert.True(Same(kv.Layers[layer].Values, sink.Layers[layer].Values));
        }
        // Imported on another engine, the blended KV decodes like the blend did here.
        var here = Generate(engine, "here", prompt, 8, spec);
        using var decode = Dummy();
        var first = EngineHarness.Run(engine, EngineHarness.Greedy("first", prompt, 1) with { Blend = spec })[0];
        var stream = decode.TryImportRequest(EngineHarness.Greedy("imported", prompt, 8) with { Sampling = Sampling.SamplingParams.Greedy(8) with { IgnoreEos = true } }, first.Tokens[0], kv)!;
        EngineHarness.Drain(decode);
        Assert.Equal(here.TokenIds, (await stream.CollectAsync()).TokenIds);
    }

    [Fact]
    public async Task Plain_requests_batched_with_a_blend_keep_their_solo_tokens()
    {
        using var engine = Dummy();
        var a = Tokens(50, 40, Vocab);
        var b = Tokens(51, 28, Vocab);
        using var aKv = ChunkKv(engine, a);
        using var bKv = ChunkKv(engine, b);
        var (prompt, spec) = Rag(Tokens(52, 6, Vocab), [(a, aKv), (b, bKv)], Tokens(53, 9, Vocab), 0.15);
        var plain = Enumerable.Range(0, 4).Select(i => Tokens(60 + i, 5 + (7 * i), Vocab)).ToArray();
        var solo = plain.Select((p, i) => Generate(engine, $"solo-{i}", p, 10).TokenIds).ToArray();
        var blendSolo = Generate(engine, "blend-solo", prompt, 10, spec).TokenIds;

        var streams = plain.Select((p, i) => engine.AddRequest(EngineHarness.Greedy($"batched-{i}", p, 10) with { Sampling = Sampling.SamplingParams.Greedy(10) with { IgnoreEos = true } })).ToList();
        engine.Step();
        var blendStream = engine.AddRequest(EngineHarness.Greedy("blend", prompt, 10) with { Blend = spec, Sampling = Sampling.SamplingParams.Greedy(10) with { IgnoreEos = true } });
        EngineHarness.Drain(engine);
        for (int i = 0; i < plain.Length; i++)
        {
            Assert.Equal(solo[i], (await streams[i].CollectAsync()).TokenIds);
        }
        Assert.Equal(blendSolo, (await blendStream.CollectAsync()).TokenIds);
    }

    [Fact]
    public void A_blended_prompt_registers_only_the_blocks_before_its_first_chunk_in_the_prefix_cache()
    {
        using var engine = Dummy(prefixCaching: true);
        var chunk = Tokens(70, 40, Vocab);
        using var kv = ChunkKv(engine, chunk);
        var (prompt, spec) = Rag(Tokens(71, 36, Vocab), [(chunk, kv)], Tokens(72, 20, Vocab), 0.15);
        var blended = Final(engine, EngineHarness.Greedy("blend", prompt, 4) with { Blend = spec });
        Assert.True(blended.Blend!.Blended);
        // [BOS] + 36 system tokens: two full blocks of 16 are exact; everything after the chunk starts is not.
        var plain = Final(engine, EngineHarness.Greedy("plain", prompt, 4));
        Assert.Equal(32, plain.Usage!.CachedPromptTokens);
    }
}
