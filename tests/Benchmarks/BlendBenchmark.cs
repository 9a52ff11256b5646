namespace Platform.Benchmarks;

/// <summary><c>infra/bench.sh blend [--quick] [--quality|--ttft]</c>: CacheBlend's quality and TTFT, side by side with its baselines.</summary>
public static class BlendBenchmark
{
    public static async Task RunAsync(TextWriter output, bool quick, bool quality, bool ttft)
    {
        output.WriteLine($"# CacheBlend benchmark ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, torch threads {TorchSharp.torch.get_num_threads()}, {Environment.ProcessorCount} cores)");
        output.WriteLine();
        if (quality)
        {
            BlendQualityBenchmark.Run(output, quick);
        }
        if (ttft)
        {
            await BlendTtftBenchmark.RunAsync(output, quick);
        }
    }
}
