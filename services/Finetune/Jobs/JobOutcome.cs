namespace Platform.Finetune.Jobs;

/// <summary>The end of a job's run: for a success, where its PEFT adapter is; for a failure, why.</summary>
public sealed record JobOutcome(JobOutcomeKind Kind, string? AdapterDir = null, string? Error = null)
{
    public static JobOutcome Succeeded(string adapterDir) => new(JobOutcomeKind.Succeeded, adapterDir);

    public static JobOutcome Failed(string error) => new(JobOutcomeKind.Failed, Error: error);

    public static readonly JobOutcome Cancelled = new(JobOutcomeKind.Cancelled);

    public static readonly JobOutcome Interrupted = new(JobOutcomeKind.Interrupted);
}
