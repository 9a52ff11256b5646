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
        Targets = LoraTargets.ParseAll(h.TargetModules),
        UseRsLora = h.UseRslora,
        LearningRate = h.LearningRate,
        Seed = h.Seed,
    };
}
