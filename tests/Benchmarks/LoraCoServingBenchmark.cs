using System.Diagnostics;
using Platform.Engine.Configuration;
using Platform.Engine.Loading;
using Platform.Engine.Lora.Training;
using Platform.Engine.Sampling;
using Platform.Engine.Serving;

namespace Platform.Benchmarks;

/// <summary>
/// FlexLLM co-serving on one engine: LoRA fine-tuning throughput alone and under a steady decode load, and
/// the decode load's inter-token latency (engine iteration time) p50/p99 with co-serving off and on. Same
/// model, same requests (a closed loop of sequences, each replaced when it finishes), same training data.
/// The three setups run on three engines side by side, in short alternating rounds (the order rotating each
/// round), so load from elsewhere on a shared machine falls on all three alike.
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
        int rounds = quick ? 4 : 10;
        var round = TimeSpan.FromSeconds(quick ? 2 : 3);
        int concurrency = 8;
        // One torch thread: on a shared, loaded machine two intra-op threads wait on each other at every op,
        // which multiplies latency tails for all three setups.
        var options = new EngineOptions { KvCacheBytes = 64L << 20, MaxBatchedTokens = 256, CpuThreads = 1 };
        // The guard's default: inference may slow down by 10% of its learned p99; no absolute cap.
        var coServing = new CoServingOptions { MaxForwardTokens = 128, MaxBackwardLayers = 2 };
        output.WriteLine($"model: dummy Llama hidden {Config.HiddenSize}, {Config.NumHiddenLayers} layers, vocab {Config.VocabSize}; " +
            $"decode load: {concurrency} concurrent sequences; fine-tuning: LoRA r=8 on q/k/v/o, sequences of 128 tokens; " +
            $"guard: slowdown {coServing.MaxInferenceSlowdown:P0} of inference p99, cap {coServing.TargetIterationTime?.TotalMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}; torch threads {options.CpuThreads}; " +
            $"{rounds} alternating rounds of {round.TotalSeconds:F0} s per setup");

        using var alone = new Setup(options, coServing, concurrency: 0, fineTune: true);
        using var inferenceOnly = new Setup(options, coServing, concurrency, fineTune: false);
        using var both = new Setup(options, coServing, concurrency, fineTune: true);
        Setup[] setups = [alone, inferenceOnly, both];
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

        var guard = both.Engine.CoServingGuard!;
        output.WriteLine($"fine-tuning alone:          {alone.FineTuneTokensPerSecond,8:F0} trained tokens/s");
        output.WriteLine($"fine-tuning co-served:      {both.FineTuneTokensPerSecond,8:F0} trained tokens/s ({100 * both.FineTuneTokensPerSecond / alone.FineTuneTokensPerSecond:F0}% of alone; target >= 80%)");
        output.WriteLine($"decode ITL, co-serving off: p50 {inferenceOnly.Percentile(0.5) * 1e3:F1} ms, p99 {inferenceOnly.Percentile(0.99) * 1e3:F1} ms, {inferenceOnly.DecodeTokensPerSecond:F0} tokens/s");
        output.WriteLine($"decode ITL, co-serving on:  p50 {both.Percentile(0.5) * 1e3:F1} ms, p99 {both.Percentile(0.99) * 1e3:F1} ms, {both.DecodeTokensPerSecond:F0} tokens/s " +
            $"(p99 {100 * (both.Percentile(0.99) / inferenceOnly.Percentile(0.99) - 1):+0;-0}%; target <= +10%); fine-tuning share of iteration time {100 * both.Engine.FineTuningTimeShare:F0}%");
        output.WriteLine($"guard: learned inference p99 {guard.InferenceP99?.TotalMilliseconds:F1} ms, smallest slice cost {guard.SmallestSliceCost?.TotalMilliseconds:F1} ms, " +
            $"backward layer {guard.BackwardLayerCost?.TotalMilliseconds:F1} ms, F {guard.ForwardTokens}, k {guard.BackwardLayers}; " +
            $"{100.0 * guard.SkippedIterations / Math.Max(1, both.InferenceSteps):F0}% of decode iterations without fine-tuning");
    }

    /// <summary>One engine with its decode load and/or fine-tuning job, run round by round.</summary>
    private sealed class Setup : IDisposable
    {
        private readonly int _concurrency;
        private readonly Random _random = new(1);
        private readonly LoraTrainer? _trainer;
        private readonly CoServedFineTuning? _job;
        private readonly List<RequestStream> _streams = [];
        private readonly List<double> _iterations = [];
        private int _next;
        private long _trained, _generated;
        private double _seconds;

        public Setup(EngineOptions options, CoServingOptions coServing, int concurrency, bool fineTune)
        {
            Engine = new LlmEngine(ModelLoader.CreateDummy(Config, options), options);
            _concurrency = concurrency;
            if (fineTune)
            {
                _trainer = new LoraTrainer(Engine.Model, new LoraTrainingOptions { Rank = 8, Seed = 1 });
                _job = new CoServedFineTuning(_trainer,
                    [.. Enumerable.Range(0, 64).Select(_ => new TrainingExample(Tokens(128), 32))], epochs: 1000, batchSize: 4);
                Engine.StartFineTuning(_job, coServing);
            }
        }

        public LlmEngine Engine { get; }
        public long InferenceSteps { get; private set; }
        public double FineTuneTokensPerSecond => _trained / _seconds;
        public double DecodeTokensPerSecond => _generated / _seconds;

        public double Percentile(double p)
        {
            _iterations.Sort();
            return _iterations.Count == 0 ? 0 : _iterations[Math.Min(_iterations.Count - 1, (int)(p * _iterations.Count))];
        }

        public void Run(TimeSpan duration, bool measure)
        {
            long trainedBefore = _job?.TokensTrained ?? 0;
            long generatedBefore = Engine.Stats().GenerationTokensTotal;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < duration)
            {
                Refill();
                long start = Stopwatch.GetTimestamp();
                Engine.Step();
                if (_concurrency > 0)
                {
                    InferenceSteps++;
                    if (measure)
                    {
                        _iterations.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
                    }
                }
            }
            if (measure)
            {
                _seconds += clock.Elapsed.TotalSeconds;
                _trained += (_job?.TokensTrained ?? 0) - trainedBefore;
                _generated += Engine.Stats().GenerationTokensTotal - generatedBefore;
            }
        }

        private int[] Tokens(int n) => [.. Enumerable.Range(0, n).Select(_ => 3 + _random.Next(Config.VocabSize - 3))];

        private void Refill()
        {
            _streams.RemoveAll(s =>
            {
                while (s.Events.TryRead(out _))
                {
                }
                return s.Events.Completion.IsCompleted;
            });
            while (_streams.Count < _concurrency)
            {
                _streams.Add(Engine.AddRequest(new GenerationRequest($"r{_next++}", Tokens(64), SamplingParams.Greedy(128) with { IgnoreEos = true })));
            }
        }

        public void Dispose()
        {
            _job?.Cancel();
            _job?.Dispose();
            _trainer?.Dispose();
            Engine.Dispose();
        }
    }
}
