using Grpc.Core;
using Platform.Contracts.Finetune.V1;
using Platform.Engine.Lora.Training;
using Platform.Engine.Serving;
using Platform.PhaseSplit;
using TrainingExample = Platform.Engine.Lora.Training.TrainingExample;

namespace Platform.Decode.FineTuning;

/// <summary>
/// One fine-tuning job co-served in this instance's engine (<see cref="LlmEngine.StartFineTuning"/>) through
/// <see cref="ResumableFineTuning"/>: checkpoints to the spec's directory, and on success the PEFT adapter saved to
/// its adapter directory. Keeps the steps of this run for watchers, who get them and then the final state.
/// </summary>
public sealed partial class HostedFineTuningJob
{
    private readonly Lock _lock = new();
    private readonly List<StepCompleted> _steps = [];
    private readonly JobSpec _spec;
    private readonly ResumableFineTuning _run;
    private readonly ILogger _logger;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private JobStatus _status = JobStatus.Running;
    private string _error = "";
    private bool _stopped;
    private long _step;

    private HostedFineTuningJob(JobSpec spec, Func<Action<FineTuningProgress, bool>, ResumableFineTuning> open, ILogger logger)
    {
        _spec = spec;
        _logger = logger;
        _run = open(OnStep);
        _step = _run.StartStep;
        if (_run.CheckpointProgress is { } p)
        {
            // The checkpointed step again: a watcher whose last report was older (the process that ran the step
            // died before reporting it) gets it from here; one that had it asks for steps after it.
            _steps.Add(Report(p, checkpointed: true));
        }
    }

    public string Id => _spec.JobId;

    public bool IsRunning
    {
        get
        {
            lock (_lock)
            {
                return _status == JobStatus.Running && !_stopped;
            }
        }
    }

    public bool Succeeded
    {
        get
        {
            lock (_lock)
            {
                return _status == JobStatus.Succeeded;
            }
        }
    }

    /// <summary>
    /// Opens the job (from its checkpoint when there is one) and starts it in <paramref name="engine"/>'s iterations.
    /// Throws <see cref="ArgumentException"/> for bad examples or settings, <see cref="NotSupportedException"/> when the
    /// engine cannot train.
    /// </summary>
    public static HostedFineTuningJob Start(LlmEngine engine, JobSpec spec, IReadOnlyList<TrainingExample> examples, CancellationToken stopping, ILogger logger)
    {
        var h = spec.Hyperparameters;
        var job = new HostedFineTuningJob(spec, onStep => ResumableFineTuning.Open(engine.Model, JobSpecReader.TrainingOptions(h), examples,
            h.NEpochs, h.BatchSize, spec.CheckpointDir, spec.CheckpointEverySteps, onStep), logger);
        if (!job._run.Run.IsDone)
        {
            try
            {
                engine.StartFineTuning(job._run.Run, JobSpecReader.CoServing(spec.CoServing));
            }
            catch
            {
                job._run.Dispose();
                throw;
            }
        }
        LogStarted(logger, spec.JobId, job._run.StartStep, job._run.Run.TotalSteps, examples.Count);
        _ = job.SuperviseAsync(stopping);
        return job;
    }

    public JobState State(bool attached = false)
    {
        lock (_lock)
        {
            return new JobState
            {
                JobId = _spec.JobId,
                Status = _status,
                Step = _step,
                TotalSteps = _run.Run.TotalSteps,
                TokensTrained = _run.TokensTrained,
                CheckpointStep = _run.LastCheckpointStep,
                ResumedFromStep = _run.StartStep,
                Attached = attached,
                Error = _error,
                AdapterDir = _status == JobStatus.Succeeded ? _spec.AdapterDir : "",
                Instance = Environment.MachineName,
            };
        }
    }

    /// <summary>Stops the job at its next slice; its watchers then get the cancelled state.</summary>
    public void Cancel() => _run.Run.Cancel();

    /// <summary>Sends the steps after <paramref name="afterStep"/>, then each new one, then the final state.</summary>
    public async Task WatchAsync(long afterStep, IServerStreamWriter<JobUpdate> writer, CancellationToken ct)
    {
        int next = 0;
        while (true)
        {
            List<StepCompleted> steps;
            Task changed;
            JobState? final;
            bool stopped;
            lock (_lock)
            {
                steps = [.. _steps.Skip(next).Where(s => s.Step > afterStep)];
                next = _steps.Count;
                changed = _changed.Task;
                final = _status != JobStatus.Running ? State() : null;
                stopped = _stopped;
            }
            foreach (var step in steps)
            {
                await writer.WriteAsync(new JobUpdate { Step = step }, ct).ConfigureAwait(false);
            }
            if (final is not null)
            {
                await writer.WriteAsync(new JobUpdate { Finished = final }, ct).ConfigureAwait(false);
                return;
            }
            if (stopped)
            {
                throw Faults.Of(StatusCode.Unavailable, $"this instance is shutting down; job {Id} resumes from its checkpoint at step {_run.LastCheckpointStep} where it is placed next");
            }
            await changed.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    private static StepCompleted Report(FineTuningProgress p, bool checkpointed) => new()
    {
        Step = p.Step,
        TotalSteps = p.TotalSteps,
        Loss = p.Loss,
        TokensTrained = p.TokensTrained,
        Epoch = p.Epoch,
        Checkpointed = checkpointed,
    };

    /// <summary>On the engine thread, after each optimizer step (and after its checkpoint, when it had one).</summary>
    private void OnStep(FineTuningProgress p, bool checkpointed)
    {
        lock (_lock)
        {
            _steps.Add(Report(p, checkpointed));
            _step = p.Step;
        }
        Signal();
    }

    private async Task SuperviseAsync(CancellationToken stopping)
    {
        var run = _run.Run;
        // Shutting down stops the job here; it is placed again from its checkpoint, not "cancelled".
        await _run.WaitAsync(() => stopping.IsCancellationRequested).ConfigureAwait(false);
        JobStatus status;
        string error = "";
        bool stopped = false;
        if (run.Completed)
        {
            try
            {
                _run.SaveAdapter(_spec.AdapterDir, _spec.AdapterName);
                status = JobStatus.Succeeded;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                status = JobStatus.Failed;
                error = $"saving the adapter to {_spec.AdapterDir} failed: {e.Message}";
            }
        }
        else if (run.Error is { } failure)
        {
            status = JobStatus.Failed;
            error = failure;
        }
        else if (stopping.IsCancellationRequested)
        {
            status = JobStatus.Running;
            stopped = true;
        }
        else
        {
            status = JobStatus.Cancelled;
        }
        lock (_lock)
        {
            _status = status;
            _error = error;
            _stopped = stopped;
        }
        LogEnded(_logger, Id, stopped ? "stopped by shutdown" : status.ToString(), _step, error);
        _run.Dispose();
        Signal();
    }

    private void Signal()
    {
        TaskCompletionSource old;
        lock (_lock)
        {
            old = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        old.TrySetResult();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Fine-tuning job {JobId} started at step {Step} of {TotalSteps} ({Examples} examples), co-served in this engine")]
    private static partial void LogStarted(ILogger logger, string jobId, long step, long totalSteps, int examples);

    [LoggerMessage(Level = LogLevel.Information, Message = "Fine-tuning job {JobId} ended ({Status}) at step {Step} {Error}")]
    private static partial void LogEnded(ILogger logger, string jobId, string status, long step, string error);
}
