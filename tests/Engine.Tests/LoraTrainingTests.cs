using Platform.Engine.Configuration;
using Platform.Engine.Lora;
using Platform.Engine.Lora.Training;
using Platform.Engine.Serving;
using static Platform.Engine.Tests.EngineHarness;
using static TorchSharp.torch;

namespace Platform.Engine.Tests;

public sealed class LoraTrainingTests
{
    // Tokens above 258: the checkpoint's byte tokens (3..258) are near-untrained and hardly told apart by its tied head.
    private static readonly int[] Pattern = [403, 407, 261, 378, 300, 411, 275, 319];

    private static readonly LoraTrainingOptions Hyper = new()
    {
        Rank = 8,
        Alpha = 16,
        Targets = LoraTargets.All,
        LearningRate = 1e-2,
        Seed = 7,
    };

    private static TrainingExample[] PatternExamples(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ =>
        {
            int[] prompt = [1, .. Enumerable.Range(0, 4 + random.Next(12)).Select(_ => 259 + random.Next(253))];
            return new TrainingExample([.. prompt, .. Pattern], prompt.Length);
        })];
    }

    private static GenerationRequest[] InferenceLoad() =>
    [.. Enumerable.Range(0, 6).Select(i => Greedy($"inf{i}", [1, 403 + i, 407, 261, 378, 300 + i, 26], 20))];

    [SkippableFact]
    public void A_reopened_run_starts_at_its_checkpoint_and_knows_that_steps_own_progress()
    {
        using var engine = Stories(new EngineOptions { KvCacheBytes = 8L * 1024 * 1024, MaxBatchedTokens = 64 });
        var examples = PatternExamples(6, seed: 4);
        var dir = Directory.CreateTempSubdirectory("resumable-").FullName;
        try
        {
            FineTuningProgress? checkpointed = null;
            using (var first = ResumableFineTuning.Open(engine.Model, Hyper, examples, epochs: 1, batchSize: 2, dir, checkpointEverySteps: 2,
                (p, c) => checkpointed = c ? p : checkpointed))
            {
                engine.StartFineTuning(first.Run, new CoServingOptions { MaxForwardTokens = 64, MaxBackwardLayers = 8, MaxInferenceSlowdown = null, TargetIterationTime = null });
                for (int guard = 0; !first.Run.IsDone; guard++)
                {
                    Assert.True(guard < 5_000, "the run did not finish");
                    engine.Step();
                }
            }
            // Three steps, checkpointed at 2 and at the last one: a reopened run starts there with that step's report.
            Assert.Equal(3, checkpointed!.Step);
            using var reopened = ResumableFineTuning.Open(engine.Model, Hyper, examples, epochs: 1, batchSize: 2, dir, checkpointEverySteps: 2);
            Assert.Equal(3, reopened.StartStep);
            Assert.Equal(checkpointed, reopened.CheckpointProgress);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [SkippableFact]
    public void Co_served_training_computes_the_standalone_gradients_while_inference_outputs_stay_unchanged()
    {
        var options = new EngineOptions { KvCacheBytes = 8L * 1024 * 1024, MaxBatchedTokens = 24 };
        using var engine = Stories(options);
        var expected = Run(engine, InferenceLoad()).Select(r => r.TokenIds).ToArray();
        var batch = PatternExamples(3, seed: 1);

        using var standalone = new LoraTrainer(engine.Model, Hyper);
        // Non-zero B, so every LoRA gradient (A's too) is exercised: one step first, the same in both.
        standalone.TrainStep(batch);
        standalone.ComputeGradients(batch);
        var reference = standalone.Lora.SnapshotGradients();

        using var coServed = new LoraTrainer(engine.Model, Hyper);
        coServed.TrainStep(batch);
        Dictionary<string, Tensor>? captured = null;
        using var job = new CoServedFineTuning(coServed, batch, epochs: 1, batchSize: 3)
        {
            GradientsReady = lora => captured = lora.SnapshotGradients(),
        };
        engine.StartFineTuning(job, new CoServingOptions { MaxForwardTokens = 7, MaxBackwardLayers = 2, MaxInferenceSlowdown = null, TargetIterationTime = null });
        Assert.True(engine.Stats().FineTuningActive);
        var streams = InferenceLoad().Select(engine.AddRequest).ToArray();
        for (int guard = 0; !job.IsDone || engine.HasUnfinishedRequests; guard++)
        {
            Assert.True(guard < 10_000, "the co-served job did not finish");
            engine.Step();
        }

        Assert.True(job.Completed);
        // What the engine's metrics export: the job's trained tokens, a time share strictly between 0 and 1.
        var stats = engine.Stats();
        Assert.False(stats.FineTuningActive);
        Assert.True(job.TokensTrained > 0);
        Assert.Equal(job.TokensTrained, stats.FineTuningTokensTrained);
        Assert.InRange(stats.FineTuningTimeShare, double.Epsilon, 1 - 1e-9);
        // Forward slices of at most 7 tokens, backward slices of at most 2 layers: really spread over iterations.
        Assert.True(job.ForwardTokensRun == batch.Sum(e => e.TokenIds.Count));
        Assert.Equal(batch.Length * engine.Model.Config.NumHiddenLayers, job.BackwardLayersRun);
        Assert.NotNull(captured);
        foreach (var (name, grad) in reference)
        {
            var other = captured![name];
            Assert.True(grad.abs().max().item<float>() > 0, $"{name} has no gradient");
            Assert.True(other.allclose(grad, rtol: 1e-3, atol: 1e-6), $"{name}: max difference {(other - grad).abs().max().item<float>()} (scale {grad.abs().max().item<float>()})");
        }
        for (int i = 0; i < streams.Length; i++)
        {
            Assert.Equal(expected[i], streams[i].CollectAsync().GetAwaiter().GetResult().TokenIds);
        }
    }

    [SkippableFact]
    public void A_co_served_job_learns_a_pattern_and_its_saved_adapter_then_produces_it()
    {
        using var engine = Stories(new EngineOptions { KvCacheBytes = 8L * 1024 * 1024, MaxBatchedTokens = 64 });
        var expected = Run(engine, InferenceLoad()).Select(r => r.TokenIds).ToArray();
        var losses = new List<double>();
        using var trainer = new LoraTrainer(engine.Model, Hyper with { LearningRate = 1e-2 });
        using var job = new CoServedFineTuning(trainer, PatternExamples(16, seed: 2), epochs: 4, batchSize: 4)
        {
            StepCompleted = p => losses.Add(p.Loss),
        };
        engine.StartFineTuning(job, new CoServingOptions { MaxForwardTokens = 32, MaxBackwardLayers = 5, MaxInferenceSlowdown = null, TargetIterationTime = null });
        var served = new List<GenerationResult>();
        for (int guard = 0; !job.IsDone; guard++)
        {
            Assert.True(guard < 20_000, "the co-served job did not finish");
            if (guard % 50 == 0)
            {
                // Inference served while training: the base model's outputs do not move.
                served.AddRange(Run(engine, InferenceLoad().Select(r => r with { RequestId = $"{r.RequestId}-{guard}" }).ToArray()));
            }
            engine.Step();
        }
        Assert.Equal(16, losses.Count);
        Assert.True(losses[^1] < losses[0] / 4, $"loss went from {losses[0]:F3} to {losses[^1]:F3}: {string.Join(" ", losses.Select(l => l.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)))}");
        Assert.True(served.Count >= 6);
        for (int i = 0; i < served.Count; i++)
        {
            Assert.Equal(expected[i % expected.Length], served[i].TokenIds);
        }

        var dir = Path.Combine(Path.GetTempPath(), $"lora-trained-{Guid.NewGuid():N}");
        using (var adapter = trainer.Lora.ToAdapter("pattern", engine.Model.DType, engine.Model.Device))
        {
            adapter.Save(dir);
        }
        engine.Adapters.Load("pattern", dir);
        var prompt = new[] { 1, 333, 290, 411, 27, 358 };
        var withAdapter = Run(engine, Greedy("p", prompt, Pattern.Length) with { Adapter = "pattern" })[0];
        Assert.True(Pattern.SequenceEqual(withAdapter.TokenIds), $"got [{string.Join(",", withAdapter.TokenIds)}]; losses {string.Join(" ", losses.Select(l => l.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)))}");
        Assert.NotEqual(Pattern, Run(engine, Greedy("b", prompt, Pattern.Length))[0].TokenIds);
    }

    [SkippableFact]
    public void With_no_slowdown_allowed_fine_tuning_waits_for_iterations_without_inference_and_then_completes()
    {
        using var engine = Stories(new EngineOptions { KvCacheBytes = 8L * 1024 * 1024, MaxBatchedTokens = 64 });
        var expected = Run(engine, InferenceLoad()).Select(r => r.TokenIds).ToArray();
        using var trainer = new LoraTrainer(engine.Model, Hyper);
        using var job = new CoServedFineTuning(trainer, PatternExamples(4, seed: 3), epochs: 1, batchSize: 2);
        engine.StartFineTuning(job, new CoServingOptions { MaxForwardTokens = 8, MaxBackwardLayers = 2, MaxInferenceSlowdown = 0, TargetIterationTime = null });
        var streams = InferenceLoad().Select(engine.AddRequest).ToArray();
        int inferenceSteps = 0;
        while (engine.HasUnfinishedRequests)
        {
            engine.Step();
            inferenceSteps++;
        }
        Assert.True(inferenceSteps > 10);
        Assert.Equal(0, job.ForwardTokensRun + job.BackwardLayersRun);
        Assert.Equal(inferenceSteps, engine.CoServingGuard!.SkippedIterations);
        for (int guard = 0; !job.IsDone; guard++)
        {
            Assert.True(guard < 10_000, "the job did not finish once inference was idle");
            engine.Step();
        }
        Assert.True(job.Completed);
        for (int i = 0; i < streams.Length; i++)
        {
            Assert.Equal(expected[i], streams[i].CollectAsync().GetAwaiter().GetResult().TokenIds);
        }
    }

    [SkippableFact]
    public void Bad_training_examples_are_refused_with_the_reason()
    {
        using var engine = Stories();
        using var trainer = new LoraTrainer(engine.Model, Hyper);
        Assert.Contains("at least one completion token", Assert.Throws<ArgumentException>(() => new CoServedFineTuning(trainer, [new TrainingExample([1, 2, 3], 3)])).Message);
        Assert.Contains("outside the vocabulary", Assert.Throws<ArgumentException>(() => new CoServedFineTuning(trainer, [new TrainingExample([1, 9999, 3], 1)])).Message);
        Assert.Contains("the limit is 512", Assert.Throws<ArgumentException>(() => new CoServedFineTuning(trainer, [new TrainingExample([.. Enumerable.Repeat(5, 600)], 1)])).Message);
    }
}
