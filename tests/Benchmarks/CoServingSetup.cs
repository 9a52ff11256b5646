using System.Diagnostics;
using Platform.Engine.Configuration;
using Platform.Engine.Loading;
using Platform.Engine.Lora.Training;
using Platform.Engine.Sampling;
using Platform.Engine.Serving;

namespace Platform.Benchmarks;

/// <summary>
/// One engine of the co-serving benchmark with its decode load and/or fine-tuning job, run round by round.
/// Arrivals follow the setup's own running time, so setups with the same load see the same arrivals.
/// </summary>
internal sealed class CoServingSetup : IDisposable
{
    private readonly CoServingLoad? _load;
    private readonly Random _prompts = new(1);
    private readonly Random _arrivals = new(2);
    private readonly LoraTrainer? _trainer;
    private readonly CoServedFineTuning? _job;
    private readonly List<RequestStream> _streams = [];
    private readonly List<double> _iterations = [];
    private int _next;
    private long _trained, _generated;
    private double _seconds, _busySeconds, _ownTime, _nextArrival;

    public CoServingSetup(EngineOptions options, CoServingOptions coServing, CoServingLoad? load, bool fineTune)
    {
        Engine = new LlmEngine(ModelLoader.CreateDummy(LoraCoServingBenchmark.Config, options), options);
        _load = load;
        if (fineTune)
        {
            var data = new Random(3);
            _trainer = new LoraTrainer(Engine.Model, new LoraTrainingOptions { Rank = 8, Seed = 1 });
            _job = new CoServedFineTuning(_trainer,
                [.. Enumerable.Range(0, 64).Select(_ => new TrainingExample(Tokens(data, 128), 32))], epochs: 1000, batchSize: 4);
            Engine.StartFineTuning(_job, coServing);
        }
        if (load is { Concurrency: 0 })
        {
            _nextArrival = NextGap();
        }
    }

    public LlmEngine Engine { get; }
    public long InferenceSteps { get; private set; }
    public double FineTuneTokensPerSecond => _trained / _seconds;
    public double DecodeTokensPerSecond => _generated / _seconds;
    /// <summary>Share of measured time in which the engine had decode work.</summary>
    public double BusyShare => _busySeconds / _seconds;

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
        double runStart = _ownTime;
        while (clock.Elapsed < duration)
        {
            _ownTime = runStart + clock.Elapsed.TotalSeconds;
            AddArrivals();
            bool inference = Engine.HasUnfinishedRequests;
            long start = Stopwatch.GetTimestamp();
            Engine.Step();
            if (inference)
            {
                InferenceSteps++;
                if (measure)
                {
                    double took = Stopwatch.GetElapsedTime(start).TotalSeconds;
                    _iterations.Add(took);
                    _busySeconds += took;
                }
            }
        }
        _ownTime = runStart + clock.Elapsed.TotalSeconds;
        if (measure)
        {
            _seconds += clock.Elapsed.TotalSeconds;
            _trained += (_job?.TokensTrained ?? 0) - trainedBefore;
            _generated += Engine.Stats().GenerationTokensTotal - generatedBefore;
        }
    }

    private double NextGap() => -Math.Log(1 - _arrivals.NextDouble()) / _load!.RequestsPerSecond;

    private static int[] Tokens(Random random, int n) => [.. Enumerable.Range(0, n).Select(_ => 3 + random.Next(LoraCoServingBenchmark.Config.VocabSize - 3))];

    private void AddArrivals()
    {
        _streams.RemoveAll(s =>
        {
            while (s.Events.TryRead(out _))
            {
            }
            return s.Events.Completion.IsCompleted;
        });
        if (_load is not { } load)
        {
            return;
        }
        if (load.Concurrency > 0)
        {
            while (_streams.Count < load.Concurrency)
            {
                Add(load);
            }
            return;
        }
        while (_nextArrival <= _ownTime)
        {
            Add(load);
            _nextArrival += NextGap();
        }
    }

    private void Add(CoServingLoad load) =>
        _streams.Add(Engine.AddRequest(new GenerationRequest($"r{_next++}", Tokens(_prompts, 64), SamplingParams.Greedy(load.GeneratedTokens) with { IgnoreEos = true })));

    public void Dispose()
    {
        _job?.Cancel();
        _job?.Dispose();
        _trainer?.Dispose();
        Engine.Dispose();
    }
}
