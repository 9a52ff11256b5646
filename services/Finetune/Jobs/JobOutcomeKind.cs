namespace Platform.Finetune.Jobs;

/// <summary>How a job's run ended, as its runner records it.</summary>
public enum JobOutcomeKind
{
    /// <summary>Trained to the end; its adapter is saved in PEFT format.</summary>
    Succeeded,
    Failed,
    Cancelled,
    /// <summary>Nothing to record: this process is stopping (the job resumes at its next start), or the job ended meanwhile.</summary>
    Interrupted,
}
