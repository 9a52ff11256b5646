using System.Diagnostics;
using static TorchSharp.torch;

namespace Platform.Benchmarks;

/// <summary>This machine's fp32 matmul peak and memory bandwidth, measured with torch in the same run
/// as the benchmarks they bound.</summary>
public sealed record MachineLimits(double MatmulGflops, double BandwidthGBs)
{
    public static MachineLimits Measure() => new(MatmulPeak(), Bandwidth());

    /// <summary>The better of two measurements: on a shared machine a limit is the best seen in the run.</summary>
    public MachineLimits Max(MachineLimits other) =>
        new(Math.Max(MatmulGflops, other.MatmulGflops), Math.Max(BandwidthGBs, other.BandwidthGBs));

    /// <summary>Best of several square fp32 matmuls (the sizes a 100M model's prefill uses).</summary>
    private static double MatmulPeak()
    {
        double best = 0;
        foreach (int n in new[] { 1024, 2048 })
        {
            using var scope = NewDisposeScope();
            var a = randn(n, n);
            var b = randn(n, n);
            var c = empty(n, n);
            mm(a, b, out c);
            for (int rep = 0; rep < 5; rep++)
            {
                var sw = Stopwatch.StartNew();
                int iters = n == 1024 ? 8 : 2;
                for (int i = 0; i < iters; i++)
                {
                    mm(a, b, out c);
                }
                best = Math.Max(best, 2.0 * n * n * n * iters / sw.Elapsed.TotalSeconds / 1e9);
            }
        }
        return best;
    }

    /// <summary>Read bandwidth: summing a 512 MiB tensor reads every byte once, as decode reads weights and KV.</summary>
    private static double Bandwidth()
    {
        using var scope = NewDisposeScope();
        var x = ones(128L * 1024 * 1024);
        x.sum().item<float>();
        double best = 0;
        for (int rep = 0; rep < 5; rep++)
        {
            var sw = Stopwatch.StartNew();
            x.sum().item<float>();
            best = Math.Max(best, x.NumberOfElements * 4.0 / sw.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }

    private static void mm(Tensor a, Tensor b, out Tensor c) => c = a.matmul(b);
}
