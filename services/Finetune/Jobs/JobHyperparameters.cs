namespace Platform.Finetune.Jobs;

/// <summary>A job's resolved hyperparameters: OpenAI's (epochs, batch size, learning rate) and LoRA's (rank, alpha, targets).</summary>
public sealed record JobHyperparameters(
    int NEpochs,
    int BatchSize,
    double LearningRate,
    double LearningRateMultiplier,
    int Rank,
    double Alpha,
    IReadOnlyList<string> TargetModules,
    bool UseRslora,
    long Seed);
