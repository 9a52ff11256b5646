namespace Platform.Finetune.Jobs;

/// <summary>One optimizer step of a job: its loss (mean over the batch's trained tokens), the tokens trained so far, progress in [0, 1].</summary>
public sealed record StepMetrics(long Step, long TotalSteps, double TrainLoss, long TrainedTokens, double Progress, int Epoch);
