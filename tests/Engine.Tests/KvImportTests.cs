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
}
