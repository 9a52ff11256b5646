using Platform.Contracts.Finetune.V1;
using Platform.Engine.Lora;
using Platform.Engine.Lora.Training;
using TrainingExample = Platform.Engine.Lora.Training.TrainingExample;

namespace Platform.Decode.FineTuning;

/// <summary>Checks a <see cref="JobSpec"/> and turns it into the engine's training settings; every bad field is an <see cref="ArgumentException"/> naming it.</summary>
public static class JobSpecReader
{
    public static void Check(JobSpec spec, int maxLoraRank)
    {
        Require(spec.JobId.Length > 0, "the job spec has no job_id");
        Require(spec.CheckpointDir.Length > 0 && Path.IsPathFullyQualified(spec.CheckpointDir), $"job {spec.JobId}: checkpoint_dir must be an absolute path, got '{spec.CheckpointDir}'");
        Require(spec.AdapterDir.Length > 0 && Path.IsPathFullyQualified(spec.AdapterDir), $"job {spec.JobId}: adapter_dir must be an absolute path, got '{spec.AdapterDir}'");
        Require(spec.AdapterName.Length > 0, $"job {spec.JobId}: adapter_name is empty");
        Require(spec.CheckpointEverySteps >= 1, $"job {spec.JobId}: checkpoint_every_steps must be at least 1, got {spec.CheckpointEverySteps}");
        Require(spec.RequireCheckpointStep >= 0, $"job {spec.JobId}: require_checkpoint_step must not be negative");
        Require(spec.NumExamples >= 1, $"job {spec.JobId}: num_examples must be at least 1, got {spec.NumExamples}");
        var h = spec.Hyperparameters ?? throw new ArgumentException($"job {spec.JobId}: the spec has no hyperparameters");
        Require(h.NEpochs >= 1, $"job {spec.JobId}: n_epochs must be at least 1, got {h.NEpochs}");
        Require(h.BatchSize >= 1, $"job {spec.JobId}: batch_size must be at least 1, got {h.BatchSize}");
        Require(h.LearningRate > 0 && double.IsFinite(h.LearningRate), $"job {spec.JobId}: learning_rate must be a positive number, got {h.LearningRate}");
        Require(h.Rank >= 1 && h.Rank <= maxLoraRank, $"job {spec.JobId}: rank {h.Rank} is outside [1, {maxLoraRank}] (Engine:MaxLoraRank of this instance)");
        Require(h.Alpha > 0 && double.IsFinite(h.Alpha), $"job {spec.JobId}: alpha must be a positive number, got {h.Alpha}");
        Require(h.TargetModules.Count > 0, $"job {spec.JobId}: target_modules is empty");
        var c = spec.CoServing ?? throw new ArgumentException($"job {spec.JobId}: the spec has no co_serving settings");
        Require(c.MaxForwardTokens >= 1 && c.MaxBackwardLayers >= 1 && c.TargetIterationMs >= 0 && double.IsFinite(c.TargetIterationMs),
            $"job {spec.JobId}: co_serving needs max_forward_tokens and max_backward_layers of at least 1 and target_iteration_ms of at least 0");
        Require(!c.HasMaxInferenceSlowdown || (c.MaxInferenceSlowdown >= 0 && double.IsFinite(c.MaxInferenceSlowdown)),
            $"job {spec.JobId}: co_serving max_inference_slowdown must be a finite share of at least 0, got {c.MaxInferenceSlowdown}");
    }

    public static LoraTrainingOptions TrainingOptions(Hyperparameters h) => new()
    {
        Rank = h.Rank,
        Alpha = h.Alpha,
        Targets = LoraTargets.ParseAll(h.TargetModules),
        UseRsLora = h.UseRslora,
        LearningRate = h.LearningRate,
        Seed = h.Seed,
    };

    public static CoServingOptions CoServing(CoServing c)
    {
        var options = new CoServingOptions
        {
            MaxForwardTokens = c.MaxForwardTokens,
            MaxBackwardLayers = c.MaxBackwardLayers,
            TargetIterationTime = c.TargetIterationMs > 0 ? TimeSpan.FromMilliseconds(c.TargetIterationMs) : null,
        };
        return c.HasMaxInferenceSlowdown ? options with { MaxInferenceSlowdown = c.MaxInferenceSlowdown } : options;
    }

    public static TrainingExample Example(Contracts.Finetune.V1.TrainingExample e) => new([.. e.TokenIds], e.PromptLength);

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }
}
