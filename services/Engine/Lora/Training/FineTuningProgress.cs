namespace Platform.Engine.Lora.Training;

/// <summary>One optimizer step of a fine-tuning job: its batch's mean token loss and the job's totals so far.</summary>
public sealed record FineTuningProgress(long Step, long TotalSteps, double Loss, long TokensTrained, int Epoch);
