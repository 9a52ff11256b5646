using Platform.Engine.Configuration;
using Platform.Engine.Serving;
using static Platform.Engine.Tests.EngineHarness;

namespace Platform.Engine.Tests;

public sealed class KvImportTests
{
    /// <summary>The prefill side: one token sampled, the prompt's KV handed out with the final event.</summary>
    private static (Sampling.SampledToken First, KvSnapshot Kv) Prefill(LlmEngine engine, string id, IReadOnlyList<int> prompt)
    {
        var stream = engine.AddRequest(Greedy(id, prompt, 1) with { ExportKv = true });
        Drain(engine);
        Assert.True(stream.Events.TryRead(out var final));
        return (final!.Token!, final.Kv!);
    }

    [SkippableFact]
    public void Layers_imported_one_by_one_while_other_requests_decode_give_the_colocated_tokens()
    {
        using var prefill = Stories();
        using var decode = Stories();
        var prompt = prefill.Tokenizer!.Encode("The cat and the dog played with a red ball");
        var colocated = Run(prefill, Greedy("colocated", prompt, 20))[0];
        var (first, kv) = Prefill(prefill, "prefill", prompt);
        using (kv)
        {
            var busy = decode.AddRequest(Greedy("busy", [1, 403, 407], 40));
            using var import = decode.TryBeginImport(Greedy("imported", prompt, 20))!;
            for (int layer = 0; layer < kv.Layers.Count; layer++)
            {
                decode.Step();
                import.WriteLayer(layer, kv.Layers[layer].Keys, kv.Layers[layer].Values);
            }
            var stream = import.Commit(first);
            Drain(decode);
            Assert.Equal(colocated.TokenIds, stream.CollectAsync().GetAwaiter().GetResult().TokenIds);
            Assert.Equal(FinishReason.Length, busy.CollectAsync().GetAwaiter().GetResult().Finish);
        }
        Assert.Equal(decode.Stats().NumTotalBlocks, decode.Stats().NumFreeBlocks);
    }

    [SkippableFact]
    public void An_aborted_or_incomplete_import_frees_its_blocks_and_a_full_cache_refuses_at_once()
    {
        using var decode = Stories(new EngineOptions { KvCacheBytes = 4 * 16 * 2 * 5 * 4 * 8 * 4 });
        int total = decode.Stats().NumTotalBlocks;
        var prompt = Enumerable.Range(0, 40).Select(i => 3 + i).ToArray();
        var import = decode.TryBeginImport(Greedy("a", prompt, 4))!;
        Assert.Equal(total - 3, decode.Stats().NumFreeBlocks);
        Assert.Null(decode.TryBeginImport(Greedy("b", prompt, 4)));
        Assert.Throws<InvalidOperationException>(() => import.Commit(new Sampling.SampledToken(5, null, [])));
        import.Abort("transfer deadline exceeded");
        Assert.Equal(total, decode.Stats().NumFreeBlocks);
        Assert.False(decode.HasUnfinishedRequests);
        using var again = decode.TryBeginImport(Greedy("b", prompt, 4));
        Assert.NotNull(again);
    }

    [SkippableFact]
    public void A_commit_waits_for_the_engine_thread_and_a_cancel_before_it_runs_ends_the_stream_and_frees_the_blocks()
    {
        using var prefill = Stories();
        using var decode = Stories();
        int total = decode.Stats().NumTotalBlocks;
        var prompt = prefill.Tokenizer!.Encode("The cat and the dog played with a red ball");
        var (first, kv) = Prefill(prefill, "prefill", prompt);
        using (kv)
        {
            var committed = new List<RequestStream>();
            foreach (string id in new[] { "kept", "cancelled" })
            {
                using var import = decode.TryBeginImport(Greedy(id, prompt, 8))!;
                for (int layer = 0; layer < kv.Layers.Count; layer++)
                {
                    import.WriteLayer(layer, kv.Layers[layer].Keys, kv.Layers[layer].Values);
                }
                committed.Add(import.Commit(first));
            }
            // Nothing has reached the streams before the engine steps: the commits wait for its thread.
            Assert.False(committed[0].Events.TryPeek(out _));
            Assert.True(decode.Cancel("cancelled"));
            Drain(decode);
            Assert.Equal(FinishReason.Length, committed[0].CollectAsync().GetAwaiter().GetResult().Finish);
            Assert.Equal(FinishReason.Cancelled, committed[1].CollectAsync().GetAwaiter().GetResult().Finish);
        }
        Assert.Equal(total, decode.Stats().NumFreeBlocks);
        Assert.False(decode.HasUnfinishedRequests);
    }

    private sealed class CollectingSink : Execution.IKvLayerSink
    {
        public List<(int Layer, TorchSharp.torch.Tensor Keys, TorchSharp.torch.Tensor Values)> Layers { get; } = [];

        public void OnLayer(int layer, TorchSharp.torch.Tensor keys, TorchSharp.torch.Tensor values) => Layers.Add((layer, keys, values));
    }

    [SkippableFact]
    public void Prefill_streams_each_layer_during_the_step_and_the_streamed_kv_decodes_like_colocated()
    {
        using var prefill = Stories(new EngineOptions { KvCacheBytes = 8L << 20, MaxBatchedTokens = 8 });
        using var decode = Stories();
        var prompt = prefill.Tokenizer!.Encode("Tom had a big red truck and a small blue car");
        var colocated = Run(prefill, Greedy("colocated", prompt, 16))[0];

        var sink = new CollectingSink();
        var stream = prefill.AddRequest(Greedy("prefill", prompt, 1) with { KvLayerSink = sink, ExportKv = true });
        int steps = 0;
        while (sink.Layers.Count == 0)
        {
            prefill.Step();
            steps++;
        }
        // Chunked prefill (8-token budget) streams nothing until the chunk that completes the prompt, then
        // every layer in order within that one step.
        Assert.True((prompt.Length - prefill.Stats().PrefixCacheHits + 7) / 8 == steps, $"{steps} steps for {prompt.Length} tokens, {prefill.Stats().PrefixCacheHits} cached");
        Assert.Equal(Enumerable.Range(0, prefill.Model.Config.NumHiddenLayers), sink.Layers.Select(l => l.Layer));
        Assert.True(stream.Events.TryRead(out var final));
        using var kv = final!.Kv!;
        using var import = decode.TryBeginImport(Greedy("decode", prompt, 16))!;
        foreach (var (layer, keys, values) in sink.Layers)
        {
            Assert.True(keys.equal(kv.Layers[layer].Keys).all().item<bool>() && values.equal(kv.Layers[layer].Values).all().item<bool>());
            import.WriteLayer(layer, keys, values);
            keys.Dispose();
            values.Dispose();
        }
        var decoded = import.Commit(final.Token!);
        Drain(decode);
        Assert.Equal(colocated.TokenIds, decoded.CollectAsync().GetAwaiter().GetResult().TokenIds);
    }
}
