namespace Platform.Finetune.Jobs;

/// <summary>OpenAI's fine-tuning job states.</summary>
public enum JobStatus
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}
