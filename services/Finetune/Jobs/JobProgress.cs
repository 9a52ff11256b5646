using Platform.Engine.Lora.Training;
using Platform.Finetune.Hosting;

namespace Platform.Finetune.Jobs;

/// <summary>
/// Records one job's progress wherever it trains: its status and step in the job store, an event per optimizer step
/// (loss, tokens trained, progress), and the metrics. job.json is written only with each checkpoint, so the serving
/// loop does not write to disk at every step.
/// </summary>
public sealed class JobProgress(JobStore jobs, FinetuneMetrics metrics, TimeProvider time, string jobId)
{
    public string JobId => jobId;

    public FineTuningJob Job => jobs.Find(jobId) ?? throw new InvalidOperationException($"job {jobId} is not in the store");

    public bool CancelRequested => Job.CancelRequested;

    /// <summary>
    /// The job runs (on <paramref name="instance"/> in Split mode) with <paramref name="totalSteps"/> steps. A run that
    /// started from a checkpoint drops the events of later steps (they run again) and says so. False when the job
    /// ended meanwhile (cancelled while it was being prepared).
    /// </summary>
    public bool Begin(long totalSteps, int examples, long resumedFromStep, long tokensAtStart, string? instance = null)
    {
        var job = jobs.Update(jobId, j => j.IsTerminal ? j : j with
        {
            Status = JobStatus.Running,
            TotalSteps = totalSteps,
            PlacedOn = instance ?? j.PlacedOn,
            Step = resumedFromStep,
            TrainedTokens = tokensAtStart,
            CheckpointStep = Math.Max(j.CheckpointStep, resumedFromStep),
        });
        if (job.IsTerminal)
        {
            return false;
        }
        if (instance is not null)
        {
            Message($"Placed on Decode instance {instance}.");
        }
        if (resumedFromStep > 0)
        {
            jobs.TrimEventsAfter(jobId, resumedFromStep);
            Message($"Resumed from the checkpoint at step {resumedFromStep}.");
        }
        else
        {
            Message($"Fine-tuning job started: {examples} examples, {totalSteps} steps.");
        }
        return true;
    }

    /// <summary>
    /// The job was already running on <paramref name="instance"/> (this process restarted while it trained there): its
    /// events after the last step saved here are dropped, since the instance sends those steps again. False when the
    /// job ended meanwhile.
    /// </summary>
    public bool Attach(long totalSteps, string instance)
    {
        var job = jobs.Update(jobId, j => j.IsTerminal ? j : j with { Status = JobStatus.Running, TotalSteps = totalSteps, PlacedOn = instance });
        if (job.IsTerminal)
        {
            return false;
        }
        jobs.TrimEventsAfter(jobId, job.Step);
        Message($"Attached to the job running on Decode instance {instance}.");
        return true;
    }

    /// <summary>An optimizer step; <paramref name="p"/> counts tokens since the job first started.</summary>
    public void Step(FineTuningProgress p, bool checkpointed)
    {
        var step = new StepMetrics(p.Step, p.TotalSteps, p.Loss, p.TokensTrained, (double)p.Step / p.TotalSteps, p.Epoch);
        jobs.AddEvent(jobId, $"Step {p.Step}/{p.TotalSteps}: training loss={p.Loss:F4}", step, Now());
        long before = Job.TrainedTokens;
        metrics.Step(Math.Max(0, p.TokensTrained - before), p.Loss);
        jobs.Update(jobId, j => j with
        {
            Step = p.Step,
            TrainedTokens = p.TokensTrained,
            CheckpointStep = checkpointed ? p.Step : j.CheckpointStep,
        }, persist: checkpointed);
    }

    public void Message(string message, string level = "info") => jobs.AddEvent(jobId, message, null, Now(), level);

    private long Now() => time.GetUtcNow().ToUnixTimeSeconds();
}
