using System.Diagnostics;
using Platform.Engine.Configuration;
using Platform.Engine.Execution;
using Platform.Engine.KvCache;
using Platform.Engine.Loading;
using Platform.Engine.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Platform.Benchmarks;

/// <summary>
/// Prefill and decode throughput of the engine's model runner on a dummy ~110M-parameter Llama (hidden
/// 768, 12 layers, 12 heads, vocab 32000, fp32), each printed beside its roofline bound measured in the
/// same run: prefill against the matmul peak, decode against max(bytes / bandwidth, FLOPs / peak).
/// </summary>
public static class EngineBenchmark
{
    public static readonly ModelConfig Config = new()
    {
        Architectures = ["LlamaForCausalLM"],
        HiddenSize = 768,
        IntermediateSize = 2048,
        NumHiddenLayers = 12,
        NumAttentionHeads = 12,
        NumKeyValueHeadsField = 12,
        VocabSize = 32000,
        MaxPositionEmbeddings = 4096,
        RmsNormEps = 1e-5,
        TieWordEmbeddings = true,
    };

    public static void Run(TextWriter output, bool quick)
    {
        output.WriteLine($"torch threads: {get_num_threads()}, cores: {Environment.ProcessorCount}");
        // Limits are measured before, between and after the runs; the best seen bounds them all.
        var limits = MachineLimits.Measure();

        int blockSize = 16;
        using var model = ModelLoader.CreateDummy(Config, new EngineOptions());
        using var cache = new PagedKvCache(Config, numBlocks: 64 * 33 + 256, blockSize, model.DType, model.Device);
        var runner = new ModelRunner(model, cache);
        long layerParams = Config.NumHiddenLayers * (4L * Config.HiddenSize * Config.HiddenSize + 3L * Config.HiddenSize * Config.IntermediateSize);
        long headParams = (long)Config.VocabSize * Config.HiddenSize;
        output.WriteLine($"model: {(layerParams + headParams) / 1e6:F1}M parameters ({layerParams / 1e6:F1}M in layers), KV {cache.BytesPerToken} bytes/token");

        var prefill = new List<(int Tokens, double Seconds, double Flops)>();
        foreach (int len in quick ? new[] { 128 } : new[] { 128, 512, 2048 })
        {
            var tokens = RandomTokens(len, 1);
            var blocks = Enumerable.Range(0, (len + blockSize - 1) / blockSize).ToArray();
            double seconds = Best(quick ? 2 : 4, () => Execute(runner, [new RunnerChunk(tokens, 0, len, blocks, true)]));
            double flops = len * 2.0 * layerParams + 2.0 * Config.NumHiddenLayers * len * len * Config.HiddenSize + 2.0 * headParams;
            prefill.Add((len, seconds, flops));
        }
        limits = limits.Max(MachineLimits.Measure());

        var decode = new List<(int Batch, double Seconds, double Bytes, double Flops)>();
        const int context = 512;
        foreach (int batch in quick ? new[] { 1, 8 } : new[] { 1, 8, 32, 64 })
        {
            var seqs = Enumerable.Range(0, batch).Select(i => RandomTokens(context + 64, i + 10)).ToArray();
            int blocksPerSeq = (context + 64) / blockSize;
            var tables = Enumerable.Range(0, batch).Select(i => Enumerable.Range(i * blocksPerSeq, blocksPerSeq).ToArray()).ToArray();
            // Prefill one context and copy its KV to the others: decode cost does not depend on the values.
            Execute(runner, [new RunnerChunk(seqs[0], 0, context, tables[0], false)]);
            for (int layer = 0; layer < Config.NumHiddenLayers; layer++)
            {
                using var scope = NewDisposeScope();
                var (k, v) = cache.ExportLayer(layer, tables[0], context);
                for (int i = 1; i < batch; i++)
                {
                    cache.ImportLayer(layer, tables[i], k, v);
                }
            }
            int pos = context;
            int steps = quick ? 4 : 12;
            double seconds = Best(steps, () =>
            {
                Execute(runner, [.. Enumerable.Range(0, batch).Select(i => new RunnerChunk(seqs[i], pos, 1, tables[i], true))]);
                pos++;
            });
            double bytes = (layerParams + headParams) * 4.0 + (double)batch * context * cache.BytesPerToken;
            double flops = batch * (2.0 * (layerParams + headParams) + 4.0 * Config.NumHiddenLayers * context * Config.HiddenSize);
            decode.Add((batch, seconds, bytes, flops));
        }
        limits = limits.Max(MachineLimits.Measure());

        output.WriteLine($"machine (best seen in this run): fp32 matmul peak {limits.MatmulGflops:F1} GFLOP/s, read bandwidth {limits.BandwidthGBs:F1} GB/s");
        output.WriteLine();
        output.WriteLine("| prefill tokens | tokens/s | GFLOP/s | share of matmul peak |");
        output.WriteLine("|---:|---:|---:|---:|");
        foreach (var (tokens, seconds, flops) in prefill)
        {
            double gflops = flops / seconds / 1e9;
            output.WriteLine($"| {tokens} | {tokens / seconds:F0} | {gflops:F1} | {gflops / limits.MatmulGflops:P0} |");
        }
        output.WriteLine();
        output.WriteLine("| decode batch (512-token contexts) | tokens/s | step ms | roofline ms | share of roofline | bound |");
        output.WriteLine("|---:|---:|---:|---:|---:|---|");
        foreach (var (batch, seconds, bytes, flops) in decode)
        {
            double memSeconds = bytes / (limits.BandwidthGBs * 1e9);
            double computeSeconds = flops / (limits.MatmulGflops * 1e9);
            double bound = Math.Max(memSeconds, computeSeconds);
            output.WriteLine($"| {batch} | {batch / seconds:F1} | {seconds * 1e3:F1} | {bound * 1e3:F1} | {bound / seconds:P0} | {(memSeconds >= computeSeconds ? "memory" : "compute")} |");
        }

        output.WriteLine();
        LeakCheck(runner, output, quick ? 100 : 1000);
    }

    /// <summary>Runs decode steps and reports live tensors and process memory before and after.</summary>
    private static void LeakCheck(ModelRunner runner, TextWriter output, int steps)
    {
        var tokens = RandomTokens(steps + 80, 99);
        var blocks = Enumerable.Range(0, (tokens.Length + 15) / 16).ToArray();
        Execute(runner, [new RunnerChunk(tokens, 0, 64, blocks, true)]);
        GC.Collect();
        long tensorsBefore = torch.Tensor.TotalCount;
        long rssBefore = Process.GetCurrentProcess().WorkingSet64;
        for (int i = 0; i < steps; i++)
        {
            Execute(runner, [new RunnerChunk(tokens, 64 + i, 1, blocks, true)]);
        }
        GC.Collect();
        long tensorsAfter = torch.Tensor.TotalCount;
        long rssAfter = Process.GetCurrentProcess().WorkingSet64;
        output.WriteLine($"memory over {steps} steps: live tensors {tensorsBefore} -> {tensorsAfter}, RSS {rssBefore / 1048576} MiB -> {rssAfter / 1048576} MiB");
    }

    private static void Execute(ModelRunner runner, IReadOnlyList<RunnerChunk> chunks)
    {
        using var scope = NewDisposeScope();
        runner.Execute(chunks)?.argmax(1).data<long>().ToArray();
    }

    private static double Best(int reps, Action action)
    {
        action();
        double best = double.MaxValue;
        for (int i = 0; i < reps; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return best;
    }

    private static int[] RandomTokens(int n, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => random.Next(3, 32000))];
    }
}
