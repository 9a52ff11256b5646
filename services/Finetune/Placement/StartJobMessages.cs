using Platform.Contracts.Finetune.V1;
using Platform.Finetune.Hosting;
using Platform.Finetune.Jobs;
using TrainingExample = Platform.Engine.Lora.Training.TrainingExample;

namespace Platform.Finetune.Placement;

/// <summary>A job as <c>FineTuningService.StartJob</c> takes it: its spec, then its examples in batches well under the gRPC message limit.</summary>
public static class StartJobMessages
{
    public const int SchemaVersion = 1;

    /// <summary>Token ids per batch message: at most ~5 bytes each on the wire, so under 1.5 MB.</summary>
    private const int TokensPerBatch = 256 * 1024;

    public static JobSpec Spec(FineTuningJob job, int examples, string checkpointDir, string adapterDir, long requireCheckpointStep, FinetuneOptions options)
    {
        var h = job.Hyperparameters;
        var hyper = new Hyperparameters
        {
            NEpochs = h.NEpochs,
            BatchSize = h.BatchSize,
            LearningRate = h.LearningRate,
            Rank = h.Rank,
            Alpha = h.Alpha,
            UseRslora = h.UseRslora,
            Seed = h.Seed,
        };
        hyper.TargetModules.AddRange(h.TargetModules);
        return new JobSpec
        {
            SchemaVersion = SchemaVersion,
            JobId = job.Id,
            BaseModel = job.Model,
            Hyperparameters = hyper,
            CheckpointDir = checkpointDir,
            CheckpointEverySteps = options.CheckpointEverySteps,
            RequireCheckpointStep = requireCheckpointStep,
            AdapterDir = adapterDir,
            AdapterName = JobRunner.FineTunedModelName(job),
            CoServing = new CoServing
            {
                MaxForwardTokens = options.MaxForwardTokens,
                MaxBackwardLayers = options.MaxBackwardLayers,
                TargetIterationMs = options.TargetIterationMs,
                MaxInferenceSlowdown = options.MaxInferenceSlowdown,
            },
            NumExamples = examples,
        };
    }

    public static IEnumerable<ExampleBatch> Batches(IReadOnlyList<TrainingExample> examples)
    {
        var batch = new ExampleBatch();
        int tokens = 0;
        foreach (var e in examples)
        {
            if (batch.Examples.Count > 0 && tokens + e.TokenIds.Count > TokensPerBatch)
            {
                yield return batch;
                batch = new ExampleBatch();
                tokens = 0;
            }
            var wire = new Contracts.Finetune.V1.TrainingExample { PromptLength = e.PromptLength };
            wire.TokenIds.AddRange(e.TokenIds);
            batch.Examples.Add(wire);
            tokens += e.TokenIds.Count;
        }
        if (batch.Examples.Count > 0)
        {
            yield return batch;
        }
    }
}
