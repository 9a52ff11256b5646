using System.Diagnostics;
using Platform.Engine.Configuration;
using Platform.Engine.Execution;
using Platform.Engine.KvCache;
using Platform.Engine.Loading;
using Platform.Engine.Model;
using static TorchSharp.torch;

namespace Platform.Benchmarks;

/// <summary>
/// Decode steps of the engine benchmark's model with the C# CPU kernels off and on, interleaved step by
/// step in one process so that the shared machine's noise hits every variant alike; best step of each.
/// </summary>
public static class DecodeComparison
{
    private static readonly (string Name, bool Kernels, bool Wide)[] AllVariants =
        [("torch", false, false), ("kernels avx2", true, false), ("kernels avx512", true, true)];

    // BENCH_VARIANTS=0,2 picks a subset (indices into the list above).
    private static readonly (string Name, bool Kernels, bool Wide)[] Variants =
        Environment.GetEnvironmentVariable("BENCH_VARIANTS") is { Length: > 0 } picked
            ? [.. picked.Split(',').Select(i => AllVariants[int.Parse(i, System.Globalization.CultureInfo.InvariantCulture)])]
            : AllVariants;

    public static void Run(TextWriter output, bool quick)
    {
        var config = EngineBenchmark.Config;
        const int blockSize = 16, context = 512;
        using var model = ModelLoader.CreateDummy(config, new EngineOptions());
        using var cache = new PagedKvCache(config, numBlocks: 64 * 37, blockSize, model.DType, model.Device);
        var runner = new ModelRunner(model, cache);
        output.WriteLine($"| decode batch | {string.Join(" | ", Variants.Select(v => v.Name + " ms"))} |");
        output.WriteLine($"|---:|{string.Concat(Variants.Select(_ => "---:|"))}");
        foreach (int batch in quick ? new[] { 1, 32 } : new[] { 1, 8, 32, 64 })
        {
            int blocksPerSeq = (context + 64) / blockSize;
            var tables = Enumerable.Range(0, batch).Select(i => Enumerable.Range(i * blocksPerSeq, blocksPerSeq).ToArray()).ToArray();
            var random = new Random(batch);
            var seqs = Enumerable.Range(0, batch).Select(_ => Enumerable.Range(0, context + 64).Select(_ => random.Next(3, 32000)).ToArray()).ToArray();
            Step(runner, [new RunnerChunk(seqs[0], 0, context, tables[0], false)]);
            for (int layer = 0; layer < config.NumHiddenLayers; layer++)
            {
                using var scope = NewDisposeScope();
                var (k, v) = cache.ExportLayer(layer, tables[0], context);
                for (int i = 1; i < batch; i++)
                {
                    cache.ImportLayer(layer, tables[i], k, v);
                }
            }
            var best = new double[Variants.Length];
            Array.Fill(best, double.MaxValue);
            int reps = quick ? 3 : 8;
            for (int rep = 0; rep <= reps; rep++)
            {
                for (int vi = 0; vi < Variants.Length; vi++)
                {
                    bool wide = SkinnyGemm.AllowAvx512;
                    try
                    {
                        CpuKernels.Enabled = Variants[vi].Kernels;
                        SkinnyGemm.AllowAvx512 = Variants[vi].Wide;
                        // Every variant decodes the same position, so each step costs the same.
                        var sw = Stopwatch.StartNew();
                        Step(runner, [.. Enumerable.Range(0, batch).Select(i => new RunnerChunk(seqs[i], context, 1, tables[i], true))]);
                        if (rep > 0)
                        {
                            best[vi] = Math.Min(best[vi], sw.Elapsed.TotalSeconds);
                        }
                    }
                    finally
                    {
                        CpuKernels.Enabled = true;
                        SkinnyGemm.AllowAvx512 = wide;
                    }
                }
            }
            output.WriteLine($"| {batch} | {string.Join(" | ", best.Select(s => (s * 1e3).ToString("F1")))} |");
        }
    }

    private static void Step(ModelRunner runner, IReadOnlyList<RunnerChunk> chunks)
    {
        using var scope = NewDisposeScope();
        runner.Execute(chunks)?.argmax(1).data<long>().ToArray();
    }
}
