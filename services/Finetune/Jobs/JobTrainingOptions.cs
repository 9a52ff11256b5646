using Platform.Engine.Lora;
using Platform.Engine.Lora.Training;

namespace Platform.Finetune.Jobs;

/// <summary>A job's hyperparameters as the trainer takes them.</summary>
public static class JobTrainingOptions
{
    public static LoraTrainingOptions Of(JobHyperparameters h) => new()
    {
        Rank = h.Rank,
        Alpha = h.Alpha,
        Targets = [.. h.TargetModules.Select(t => LoraTargets.TryParse(t, out var target) ? target : throw new ArgumentException($"unknown target module '{t}'"))],
        UseRsLora = h.UseRslora,
        LearningRate = h.LearningRate,
        Seed = h.Seed,
    };
}
