using Platform.Engine.Configuration;
using Platform.Engine.Lora.Training;

namespace Platform.Benchmarks;

/// <summary>
/// FlexLLM co-serving on one engine: LoRA fine-tuning throughput alone and under decode load, and the decode
/// load's inter-token latency (engine iteration time) p50/p99 with co-serving off and on. Two loads: heavy (a
/// closed loop of 8 sequences, each replaced when it finishes, so decode never pauses) and moderate (Poisson
/// arrivals, so decode is idle part of the time). Same model, same requests and arrivals, same training data.
/// The five setups run on five engines side by side, in short alternating rounds (the order rotating each
/// round), so load from elsewhere on a shared machine falls on all of them alike.
/// </summary>
public static class LoraCoServingBenchmark
{
    internal static readonly ModelConfig Config = new()
    {
        Architectures = ["LlamaForCausalLM"],
        HiddenSize = 256,
        IntermediateSize = 688,
        NumHiddenLayers = 6,
        NumAttentionHeads = 8,
        NumKeyValueHeadsField = 4,
        VocabSize = 4096,
        MaxPositionEmbeddings = 1024,
        RmsNormEps = 1e-5,
        TieWordEmbeddings = true,
    };

    public static void Run(TextWriter output, bool quick)
    {
        int rounds = quick ? 4 : 10;
        var round = TimeSpan.FromSeconds(quick ? 2 : 3);
        var heavy = new CoServingLoad(Concurrency: 8, RequestsPerSecond: 0, GeneratedTokens: 128);
        var moderate = new CoServingLoad(Concurrency: 0, RequestsPerSecond: 1.5, GeneratedTokens: 32);
        // One torch thread: on a shared, loaded machine two intra-op threads wait on each other at every op,
        // which multiplies latency tails for all setups.
        var options = new EngineOptions { KvCacheBytes = 64L << 20, MaxBatchedTokens = 256, CpuThreads = 1 };
        // The guard's default: inference may slow down by 10% of its learned p99; no absolute cap.
        var coServing = new CoServingOptions { MaxForwardTokens = 128, MaxBackwardLayers = 2 };
        output.WriteLine($"model: dummy Llama hidden {Config.HiddenSize}, {Config.NumHiddenLayers} layers, vocab {Config.VocabSize}; " +
            "fine-tuning: LoRA r=8 on q/k/v/o, sequences of 128 tokens; " +
            $"guard: slowdown {coServing.MaxInferenceSlowdown:P0} of inference p99, cap {coServing.TargetIterationTime?.TotalMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}; " +
            $"torch threads {options.CpuThreads}; {rounds} alternating rounds of {round.TotalSeconds:F0} s per setup");
        output.WriteLine($"heavy load: closed loop of {heavy.Concurrency} sequences (64-token prompts, {heavy.GeneratedTokens} tokens each); " +
            $"moderate load: Poisson arrivals at {moderate.RequestsPerSecond} req/s (64-token prompts, {moderate.GeneratedTokens} tokens each)");

        using var alone = new CoServingSetup(options, coServing, load: null, fineTune: true);
        using var heavyOff = new CoServingSetup(options, coServing, heavy, fineTune: false);
        using var heavyOn = new CoServingSetup(options, coServing, heavy, fineTune: true);
        using var moderateOff = new CoServingSetup(options, coServing, moderate, fineTune: false);
        using var moderateOn = new CoServingSetup(options, coServing, moderate, fineTune: true);
        CoServingSetup[] setups = [alone, heavyOff, heavyOn, moderateOff, moderateOn];
        foreach (var setup in setups)
        {
            setup.Run(TimeSpan.FromSeconds(1), measure: false);
        }
        for (int r = 0; r < rounds; r++)
        {
            for (int i = 0; i < setups.Length; i++)
            {
                setups[(r + i) % setups.Length].Run(round, measure: true);
            }
        }

        output.WriteLine();
        output.WriteLine("| load | decode ITL p50 / p99 off (ms) | decode ITL p50 / p99 on (ms) | p99 change (target <= +10%) | decode busy | fine-tuning tokens/s on | of alone (target >= 80%) | decode iterations the guard skipped |");
        output.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (name, off, on) in new[] { ("heavy", heavyOff, heavyOn), ("moderate", moderateOff, moderateOn) })
        {
            var guard = on.Engine.CoServingGuard!;
            output.WriteLine($"| {name} | {off.Percentile(0.5) * 1e3:F1} / {off.Percentile(0.99) * 1e3:F1} | {on.Percentile(0.5) * 1e3:F1} / {on.Percentile(0.99) * 1e3:F1} | " +
                $"{Math.Round(100 * (on.Percentile(0.99) / off.Percentile(0.99) - 1)):+0;-0;0}% | {100 * off.BusyShare:F0}% | {on.FineTuneTokensPerSecond:F0} | " +
                $"{100 * on.FineTuneTokensPerSecond / alone.FineTuneTokensPerSecond:F0}% | {100.0 * guard.SkippedIterations / Math.Max(1, on.InferenceSteps):F0}% |");
        }
        output.WriteLine();
        output.WriteLine($"fine-tuning alone: {alone.FineTuneTokensPerSecond:F0} trained tokens/s");
        foreach (var (name, on) in new[] { ("heavy", heavyOn), ("moderate", moderateOn) })
        {
            var guard = on.Engine.CoServingGuard!;
            output.WriteLine($"guard under {name} load: learned inference p99 {guard.InferenceP99?.TotalMilliseconds:F1} ms (budget {guard.InferenceP99?.TotalMilliseconds * coServing.MaxInferenceSlowdown:F1} ms), " +
                $"smallest slice cost {guard.SmallestSliceCost?.TotalMilliseconds:F1} ms, backward layer {guard.BackwardLayerCost?.TotalMilliseconds:F1} ms, " +
                $"F {guard.ForwardTokens}, k {guard.BackwardLayers}; decode {on.DecodeTokensPerSecond:F0} tokens/s (off: {(name == "heavy" ? heavyOff : moderateOff).DecodeTokensPerSecond:F0})");
        }
    }
}
