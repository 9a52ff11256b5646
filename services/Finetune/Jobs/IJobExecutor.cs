using Platform.Engine.Lora.Training;

namespace Platform.Finetune.Jobs;

/// <summary>Where jobs train: the in-process engine (<see cref="LocalJobExecutor"/>) or Decode instances (<see cref="Placement.DecodeJobExecutor"/>).</summary>
public interface IJobExecutor
{
    /// <summary>How many jobs may run at once (one per engine).</summary>
    int MaxConcurrentJobs { get; }

    /// <summary>
    /// Trains <paramref name="job"/> on <paramref name="examples"/> to its end, from its last checkpoint when it has one,
    /// reporting each step to <paramref name="progress"/>. <paramref name="stoppingToken"/> is this process stopping:
    /// the job is then left to resume later (<see cref="JobOutcome.Interrupted"/>).
    /// </summary>
    Task<JobOutcome> RunAsync(FineTuningJob job, IReadOnlyList<TrainingExample> examples, JobProgress progress, CancellationToken stoppingToken);
}
