using System.Collections.Concurrent;
using Grpc.Core;
using Platform.Contracts.Finetune.V1;
using Platform.Engine.Lora.Training;
using Platform.PhaseSplit;
using Platform.PhaseSplit.Hosting;
using TrainingExample = Platform.Engine.Lora.Training.TrainingExample;

namespace Platform.Decode.FineTuning;

/// <summary>
/// The fine-tuning jobs of this Decode instance, by job id. The engine trains one at a time. A start is idempotent:
/// a job already running or finished here is returned as it is; any other starts (or restarts, after this process
/// restarted) from the checkpoint in its directory.
/// </summary>
public sealed class FineTuningJobs(EngineHost host, IHostApplicationLifetime lifetime, ILogger<HostedFineTuningJob> logger)
{
    /// <summary>Serializes starts (one check-and-add at a time); a start holds it while it loads a checkpoint.</summary>
    private readonly Lock _lock = new();

    /// <summary>Read without <see cref="_lock"/>, so load polls and watchers never wait behind a starting job.</summary>
    private readonly ConcurrentDictionary<string, HostedFineTuningJob> _jobs = new(StringComparer.Ordinal);

    /// <summary>Jobs training now (the load report's <c>fine_tuning_jobs</c>): never waits for a job that is starting,
    /// so a load poll is not held up behind a checkpoint load (the router would take the instance for dead).</summary>
    public int Running => _jobs.Values.Count(j => j.IsRunning);

    public HostedFineTuningJob Get(string jobId) =>
        _jobs.TryGetValue(jobId, out var job) ? job : throw Faults.Of(StatusCode.NotFound, $"no fine-tuning job '{jobId}' on this instance");

    public JobState Start(JobSpec spec, IReadOnlyList<TrainingExample> examples)
    {
        var engine = host.Engine;
        lock (_lock)
        {
            if (_jobs.TryGetValue(spec.JobId, out var existing) && (existing.IsRunning || existing.Succeeded))
            {
                return existing.State(attached: true);
            }
            if (_jobs.Values.FirstOrDefault(j => j.IsRunning) is { } other)
            {
                throw Faults.Of(StatusCode.ResourceExhausted, $"this instance's engine is training job {other.Id}; it trains one job at a time");
            }
            long checkpoint = ResumableFineTuning.CheckpointStep(spec.CheckpointDir) ?? 0;
            if (spec.RequireCheckpointStep > checkpoint)
            {
                throw Faults.Of(StatusCode.FailedPrecondition,
                    $"job {spec.JobId} was checkpointed at step {spec.RequireCheckpointStep}, but {spec.CheckpointDir} holds " +
                    (checkpoint == 0 ? "no checkpoint" : $"only step {checkpoint}") +
                    " on this instance: the checkpoint directory (Finetune:DataPath) must be storage shared by the fine-tuning service and every Decode instance");
            }
            HostedFineTuningJob job;
            try
            {
                job = HostedFineTuningJob.Start(engine, spec, examples, lifetime.ApplicationStopping, logger);
            }
            catch (ArgumentException e)
            {
                throw Faults.Invalid($"job {spec.JobId}: {e.Message}");
            }
            catch (NotSupportedException e)
            {
                throw Faults.Of(StatusCode.FailedPrecondition, $"job {spec.JobId}: this instance cannot train: {e.Message} (Engine:DType float32 is needed)");
            }
            _jobs[spec.JobId] = job;
            return job.State();
        }
    }
}
