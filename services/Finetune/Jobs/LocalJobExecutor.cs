using Microsoft.Extensions.Options;
using Platform.Engine.Lora.Training;
using Platform.Finetune.Hosting;
using Platform.Gateway.Backend;

namespace Platform.Finetune.Jobs;

/// <summary>
/// All-in-one mode: a job trains co-served in this process's engine (<see cref="Engine.Serving.LlmEngine.StartFineTuning"/>),
/// one at a time, each engine iteration giving it what inference left; checkpoints under the job's directory.
/// </summary>
public sealed class LocalJobExecutor(LocalEngineBackend backend, JobStore jobs, IOptions<FinetuneOptions> options) : IJobExecutor
{
    public int MaxConcurrentJobs => 1;

    public async Task<JobOutcome> RunAsync(FineTuningJob job, IReadOnlyList<TrainingExample> examples, JobProgress progress, CancellationToken stoppingToken)
    {
        var engine = backend.Engine ?? throw new InvalidOperationException(backend.NotReadyReason);
        var o = options.Value;
        var h = job.Hyperparameters;
        using var run = ResumableFineTuning.Open(engine.Model, JobTrainingOptions.Of(h), examples, h.NEpochs, h.BatchSize,
            jobs.CheckpointDir(job.Id), o.CheckpointEverySteps, progress.Step);
        long reported = progress.Job.Step;
        if (!progress.Begin(run.Run.TotalSteps, examples.Count, run.StartStep, run.TokensBefore))
        {
            // Cancelled while it was being prepared.
            return JobOutcome.Interrupted;
        }
        if (run.CheckpointProgress is { } checkpointed && checkpointed.Step > reported)
        {
            // The process stopped between checkpointing this step and recording it: its event, from the checkpoint.
            progress.Step(checkpointed, true);
        }
        if (!run.Run.IsDone)
        {
            engine.StartFineTuning(run.Run, o.CoServing());
        }
        await run.WaitAsync(() => stoppingToken.IsCancellationRequested || progress.CancelRequested).ConfigureAwait(false);
        if (run.Run.Completed)
        {
            var dir = jobs.AdapterDir(job.Id);
            run.SaveAdapter(dir, JobRunner.FineTunedModelName(job));
            return JobOutcome.Succeeded(dir);
        }
        if (run.Run.Error is { } error)
        {
            return JobOutcome.Failed(error);
        }
        // Stopped by shutdown: the job stays running and resumes from its checkpoint at the next start.
        return stoppingToken.IsCancellationRequested ? JobOutcome.Interrupted : JobOutcome.Cancelled;
    }
}
