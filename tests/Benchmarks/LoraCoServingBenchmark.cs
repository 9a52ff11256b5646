using System.Diagnostics;
using Platform.Engine.Configuration;
using Platform.Engine.Loading;
using Platform.Engine.Lora;
using Platform.Engine.Lora.Training;
using Platform.Engine.Sampling;
using Platform.Engine.Serving;

namespace Platform.Benchmarks;

/// <summary>
/// FlexLLM co-serving on one engine: LoRA fine-tuning throughput alone and under a steady decode load, and
/// the decode load's inter-token latency (engine iteration time) p50/p99 with co-serving off and on. Same
/// model, same requests (a closed loop of sequences, each replaced when it finishes), same training data.
/// </summary>
public static class LoraCoServingBenchmark
{
    private static readonly ModelConfig Config = new()
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
        var seconds = TimeSpan.FromSeconds(quick ? 8 : 30);
        int concurrency = 8;
        var options = new EngineOptions { KvCacheBytes = 64L << 20, MaxBatchedTokens = 256 };
        var coServing = new CoServingOptions { MaxForwardTokens = 128, MaxBackwardLayers = 2, TargetIterationTime = TimeSpan.FromMilliseconds(40) };
        output.WriteLine($"model: dummy Llama hidden {Config.HiddenSize}, {Config.NumHiddenLayers} layers, vocab {Config.VocabSize}; " +
            $"decode load: {concurrency} concurrent sequences; fine-tuning: LoRA r=8 on q/k/v/o, sequences of 128 tokens; {seconds.TotalSeconds:F0} s per run");

        var alone = Measure(options, coServing, seconds, inference: false, fineTune: true);
        var inferenceOnly = Measure(options, coServing, seconds, inference: true, fineTune: false, concurrency);
        var both = Measure(options, coServing, seconds, inference: true, fineTune: true, concurrency);

        output.WriteLine($"fine-tuning alone:          {alone.FineTuneTokensPerSecond,8:F0} trained tokens/s");
        output.WriteLine($"fine-tuning co-served:      {both.FineTuneTokensPerSecond,8:F0} trained tokens/s ({100 * both.FineTuneTokensPerSecond / alone.FineTuneTokensPerSecond:F0}% of alone; target >= 80%)");
        output.WriteLine($"decode ITL, co-serving off: p50 {inferenceOnly.P50 * 1e3:F1} ms, p99 {inferenceOnly.P99 * 1e3:F1} ms, {inferenceOnly.DecodeTokensPerSecond:F0} tokens/s");
        output.WriteLine($"decode ITL, co-serving on:  p50 {both.P50 * 1e3:F1} ms, p99 {both.P99 * 1e3:F1} ms, {both.DecodeTokensPerSecond:F0} tokens/s " +
            $"(p99 {100 * (both.P99 / inferenceOnly.P99 - 1):+0;-0}%; target <= +10%); fine-tuning share of iteration time {100 * both.FineTuneShare:F0}%");
    }

    private sealed record Result(double FineTuneTokensPerSecond, double P50, double P99, double DecodeTokensPerSecond, double FineTuneShare);

    private static Result Measure(EngineOptions options, CoServingOptions coServing, TimeSpan duration, bool inference, bool fineTune, int concurrency = 0)
    {
        using var engine = new LlmEngine(ModelLoader.CreateDummy(Config, options), options);
        var random = new Random(1);
        int[] Tokens(int n) => [.. Enumerable.Range(0, n).Select(_ => 3 + random.Next(Config.VocabSize - 3))];
        using var trainer = fineTune ? new LoraTrainer(engine.Model, new LoraTrainingOptions { Rank = 8, Seed = 1 }) : null;
        using var job = trainer is null ? null : new CoServedFineTuning(trainer,
            [.. Enumerable.Range(0, 64).Select(_ => new TrainingExample(Tokens(128), 32))], epochs: 1000, batchSize: 4);
        if (job is not null)
        {
            engine.StartFineTuning(job, coServing);
        }
        var streams = new List<RequestStream>();
        int next = 0;
        void Refill()
        {
            streams.RemoveAll(s =>
            {
                while (s.Events.TryRead(out _))
                {
                }
                return s.Events.Completion.IsCompleted;
            });
            while (inference && streams.Count < concurrency)
            {
                streams.Add(engine.AddRequest(new GenerationRequest($"r{next++}", Tokens(64), SamplingParams.Greedy(128) with { IgnoreEos = true })));
            }
        }
        // Warm-up, then the measured window.
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed < TimeSpan.FromSeconds(1))
        {
            Refill();
            engine.Step();
        }
        long trainedBefore = job?.TokensTrained ?? 0;
        long generatedBefore = engine.Stats().GenerationTokensTotal;
        var iterations = new List<double>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            Refill();
            long start = Stopwatch.GetTimestamp();
            engine.Step();
            if (inference)
            {
                iterations.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
        }
        double elapsed = clock.Elapsed.TotalSeconds;
        job?.Cancel();
        iterations.Sort();
        double Percentile(double p) => iterations.Count == 0 ? 0 : iterations[Math.Min(iterations.Count - 1, (int)(p * iterations.Count))];
        return new Result(
            ((job?.TokensTrained ?? 0) - trainedBefore) / elapsed,
            Percentile(0.5),
            Percentile(0.99),
            (engine.Stats().GenerationTokensTotal - generatedBefore) / elapsed,
            engine.FineTuningTimeShare);
    }
}
