namespace Platform.Engine.Lora.Training;

/// <summary>A LoRA fine-tuning job's hyperparameters (PEFT's and AdamW's names).</summary>
public sealed record LoraTrainingOptions
{
    public int Rank { get; init; } = 8;
    public double Alpha { get; init; } = 16;
    public IReadOnlyList<LoraTarget> Targets { get; init; } = [LoraTarget.QProj, LoraTarget.KProj, LoraTarget.VProj, LoraTarget.OProj];
    public bool UseRsLora { get; init; }
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; }
    /// <summary>Seed of A's initialisation (B starts at zero, so a fresh adapter changes nothing).</summary>
    public long Seed { get; init; } = 42;

    public LoraAdapterConfig AdapterConfig(string? baseModel = null) => new(Rank, Alpha, [.. Targets.Distinct().Order()], UseRsLora, baseModel);
}
