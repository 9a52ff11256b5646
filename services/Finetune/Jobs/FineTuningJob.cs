namespace Platform.Finetune.Jobs;

/// <summary>A fine-tuning job as kept in <c>{DataPath}/jobs/{id}/job.json</c>: its request, its owner, where it is.</summary>
public sealed record FineTuningJob
{
    public required string Id { get; init; }
    public required string? Tenant { get; init; }
    public required string Model { get; init; }
    public required string TrainingFile { get; init; }
    public string? Suffix { get; init; }
    public required JobHyperparameters Hyperparameters { get; init; }
    public required long CreatedAt { get; init; }
    /// <summary>Creation time in ticks: orders jobs created within the same second (lists are newest first).</summary>
    public long CreatedTicks { get; init; }
    public JobStatus Status { get; init; }
    public long? FinishedAt { get; init; }
    public string? FineTunedModel { get; init; }
    public long TrainedTokens { get; init; }
    public long Step { get; init; }
    public long TotalSteps { get; init; }
    public string? Error { get; init; }
    public bool CancelRequested { get; init; }
    /// <summary>The last step saved to the job's checkpoint (0: none).</summary>
    public long CheckpointStep { get; init; }
    /// <summary>Split mode: the Decode instance the job was last placed on.</summary>
    public string? PlacedOn { get; init; }

    public bool IsTerminal => Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled;
}
