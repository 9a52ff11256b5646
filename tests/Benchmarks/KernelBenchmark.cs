using System.Diagnostics;
using Platform.Engine.Model;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Platform.Benchmarks;

/// <summary>
/// Side-by-side timings of the engine's C# kernels against the torch ops they replace, on the
/// benchmark model's shapes, interleaved in one process so the shared machine's noise hits both alike.
/// Each projection cycles through 12 distinct weight matrices (one per layer), so weights come from
/// memory as they do in a decode step.
/// </summary>
public static class KernelBenchmark
{
    // BENCH_SKIP_TORCH=1 times the kernels alone (torch's gather page-faults heavily and dominates a profile).
    private static readonly bool SkipTorch = Environment.GetEnvironmentVariable("BENCH_SKIP_TORCH") == "1";

    public static void Run(TextWriter output, bool quick)
    {
        int reps = quick ? 3 : 7;
        Attention(output, reps);
        if (Environment.GetEnvironmentVariable("BENCH_ATTENTION_ONLY") == "1")
        {
            return;
        }
        var shapes = new (int N, int K)[] { (2304, 768), (768, 768), (4096, 768), (768, 2048), (32000, 768) };
        output.WriteLine("| N x K | M | torch ms | kernel ms | torch GFLOP/s | kernel512 GFLOP/s | kernel256 GFLOP/s | max abs diff |");
        output.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (n, k) in shapes)
        {
            using var scope = NewDisposeScope();
            int copies = n == 32000 ? 2 : 12;
            var weights = Enumerable.Range(0, copies).Select(_ => randn(n, k) * 0.05).ToArray();
            foreach (int m in new[] { 1, 4, 8, 16, 32, 48, 64 })
            {
                var x = randn(m, k);
                double torchBest = double.MaxValue, kernelBest = double.MaxValue, narrowBest = double.MaxValue;
                float diff = 0;
                for (int r = 0; r < reps; r++)
                {
                    torchBest = Math.Min(torchBest, Time(weights, w => linear(x, w)));
                    kernelBest = Math.Min(kernelBest, Time(weights, w => SkinnyGemm.Apply(x, w, avx512: true)));
                    narrowBest = Math.Min(narrowBest, Time(weights, w => SkinnyGemm.Apply(x, w, avx512: false)));
                }
                using (var inner = NewDisposeScope())
                {
                    diff = (linear(x, weights[0]) - SkinnyGemm.Apply(x, weights[0])).abs().max().item<float>();
                }
                double flops = 2.0 * m * n * k;
                output.WriteLine($"| {n}x{k} | {m} | {torchBest * 1e3:F3} | {kernelBest * 1e3:F3} | {flops / torchBest / 1e9:F1} | {flops / kernelBest / 1e9:F1} | {flops / narrowBest / 1e9:F1} | {diff:G2} |");
            }
        }
    }

    /// <summary>Seconds per matrix for one pass over all copies.</summary>
    private static double Time(Tensor[] weights, Func<Tensor, Tensor> op)
    {
        var sw = Stopwatch.StartNew();
        foreach (var w in weights)
        {
            using var y = op(w);
        }
        return sw.Elapsed.TotalSeconds / weights.Length;
    }

    /// <summary>One decode step's attention over 12 layers' caches of 512-token contexts: torch's gather + SDPA vs the kernel.</summary>
    private static void Attention(TextWriter output, int reps)
    {
        const int layers = 12, heads = 12, d = 64, ctx = 513, blockSize = 16;
        output.WriteLine("| attention batch | torch ms | kernel ms | max abs diff |");
        output.WriteLine("|---:|---:|---:|---:|");
        foreach (int b in new[] { 1, 8, 32 })
        {
            using var scope = NewDisposeScope();
            int blocksPerSeq = (ctx + blockSize - 1) / blockSize;
            long slotsTotal = (long)b * blocksPerSeq * blockSize;
            var caches = Enumerable.Range(0, layers).Select(_ => (K: randn(slotsTotal, heads, d), V: randn(slotsTotal, heads, d))).ToArray();
            // Sequence i owns blocks in reverse order, as a fragmented block pool hands them out.
            var slots = new long[b * ctx];
            for (int i = 0; i < b; i++)
            {
                for (int j = 0; j < ctx; j++)
                {
                    int block = i * blocksPerSeq + (blocksPerSeq - 1 - j / blockSize);
                    slots[i * ctx + j] = (long)block * blockSize + j % blockSize;
                }
            }
            var slotTensor = tensor(slots).view(b, ctx);
            var mask = ones(b, 1, 1, ctx, ScalarType.Bool);
            var q = randn(b, heads, d);
            double torchBest = double.MaxValue, kernelBest = double.MaxValue;
            for (int r = 0; r < reps; r++)
            {
                torchBest = SkipTorch ? double.NaN : Math.Min(torchBest, TimeLayers(caches, (k, v) =>
                {
                    var kd = k.index_select(0, slotTensor.view(-1)).view(b, ctx, heads, d).transpose(1, 2);
                    var vd = v.index_select(0, slotTensor.view(-1)).view(b, ctx, heads, d).transpose(1, 2);
                    return scaled_dot_product_attention(q.view(b, heads, 1, d), kd, vd, mask).reshape(b, -1);
                }));
                kernelBest = Math.Min(kernelBest, TimeLayers(caches, (k, v) => PagedDecodeAttention.Forward(q, k, v, slotTensor, mask)));
            }
            var (k0, v0) = caches[0];
            var expected = scaled_dot_product_attention(q.view(b, heads, 1, d),
                k0.index_select(0, slotTensor.view(-1)).view(b, ctx, heads, d).transpose(1, 2),
                v0.index_select(0, slotTensor.view(-1)).view(b, ctx, heads, d).transpose(1, 2), mask).reshape(b, -1);
            float diff = (expected - PagedDecodeAttention.Forward(q, k0, v0, slotTensor, mask)).abs().max().item<float>();
            output.WriteLine($"| {b} | {torchBest * 1e3:F2} | {kernelBest * 1e3:F2} | {diff:G2} |");
        }
    }

    private static double TimeLayers((Tensor K, Tensor V)[] caches, Func<Tensor, Tensor, Tensor> op)
    {
        var sw = Stopwatch.StartNew();
        foreach (var (k, v) in caches)
        {
            using var scope = NewDisposeScope();
            op(k, v);
        }
        return sw.Elapsed.TotalSeconds;
    }
}
