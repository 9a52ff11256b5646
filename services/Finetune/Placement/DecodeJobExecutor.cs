using Grpc.Core;
using Microsoft.Extensions.Options;
using Platform.Contracts.Finetune.V1;
using Platform.Engine.Lora.Training;
using Platform.Finetune.Hosting;
using Platform.Finetune.Jobs;
using Platform.Gateway.Routing;
using Platform.PhaseSplit.Invocation;
using TrainingExample = Platform.Engine.Lora.Training.TrainingExample;
using WireStatus = Platform.Contracts.Finetune.V1.JobStatus;

namespace Platform.Finetune.Placement;

/// <summary>
/// Split mode: a job trains co-served on a Decode instance (<c>platform.finetune.v1.FineTuningService</c>) that
/// <see cref="DecodePlacement"/> picks; its steps stream back into the job's events. Checkpoints and the adapter go
/// to the job's directories under <c>Finetune:DataPath</c>, which must be storage shared with the Decode instances.
/// When the instance stops answering, the job is placed again (on any instance with room, the same one once it is
/// back) and resumes from its last checkpoint; an instance that cannot see that checkpoint refuses, and the job fails
/// saying so. When this service stops, the job keeps training where it is, and the next start attaches to it.
/// </summary>
public sealed partial class DecodeJobExecutor(
    DecodePlacement placement,
    IGrpcChannelFactory channels,
    JobStore jobs,
    IOptions<FinetuneOptions> options,
    TimeProvider time,
    ILogger<DecodeJobExecutor> logger) : IJobExecutor
{
    private static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan CancelPollInterval = TimeSpan.FromMilliseconds(100);

    public int MaxConcurrentJobs => placement.InstanceCount;

    public async Task<JobOutcome> RunAsync(FineTuningJob job, IReadOnlyList<TrainingExample> examples, JobProgress progress, CancellationToken stoppingToken)
    {
        string? preferred = job.PlacedOn;
        var refused = new HashSet<string>(StringComparer.Ordinal);
        long waitingSince = time.GetTimestamp();
        bool waiting = false;
        string? lostFrom = null;
        long lostAt = 0;
        while (true)
        {
            if (stoppingToken.IsCancellationRequested || progress.Job.IsTerminal)
            {
                // Stopping, or cancelled while queued (the API recorded that).
                return JobOutcome.Interrupted;
            }
            if (progress.CancelRequested)
            {
                return JobOutcome.Cancelled;
            }
            // An instance that stopped answering may only have been out of reach and still train the job: it gets the
            // router's staleness window to answer again (the start then re-attaches) before the job goes elsewhere.
            IReadOnlySet<string> excluded = lostFrom is not null && time.GetElapsedTime(lostAt) < placement.Grace
                ? new HashSet<string>(refused.Concat(placement.InstanceNames.Where(n => n != lostFrom)), StringComparer.Ordinal)
                : refused;
            var instance = placement.Reserve(preferred ?? lostFrom, excluded);
            if (instance is null)
            {
                var timeout = options.Value.PlacementTimeout;
                if (time.GetElapsedTime(waitingSince) > timeout)
                {
                    return JobOutcome.Failed($"no Decode instance could take the job within {timeout} (Finetune:PlacementTimeout): {placement.Describe()}");
                }
                if (!waiting)
                {
                    waiting = true;
                    progress.Message($"Waiting for a Decode instance with room for the job: {placement.Describe()}");
                }
                try
                {
                    await Task.Delay(RetryInterval, time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return JobOutcome.Interrupted;
                }
                refused.Clear();
                continue;
            }
            try
            {
                var attempt = await RunOnAsync(instance, examples, progress, stoppingToken).ConfigureAwait(false);
                switch (attempt.Kind)
                {
                    case AttemptKind.Ended:
                        return attempt.Outcome!;
                    case AttemptKind.Refused:
                        refused.Add(instance.Name);
                        if (preferred == instance.Name)
                        {
                            preferred = null;
                        }
                        if (lostFrom == instance.Name)
                        {
                            lostFrom = null;
                        }
                        break;
                    case AttemptKind.Lost:
                        instance.MarkUnhealthy(attempt.Reason!);
                        preferred = null;
                        lostFrom = instance.Name;
                        lostAt = time.GetTimestamp();
                        waiting = false;
                        waitingSince = time.GetTimestamp();
                        long checkpoint = progress.Job.CheckpointStep;
                        LogLost(logger, job.Id, instance.Name, attempt.Reason!, checkpoint);
                        progress.Message(checkpoint > 0
                            ? $"Decode instance {instance.Name} stopped answering ({attempt.Reason}); the job moves to an instance with room and resumes from its checkpoint at step {checkpoint}."
                            : $"Decode instance {instance.Name} stopped answering ({attempt.Reason}); the job starts again on an instance with room.", "warn");
                        break;
                }
            }
            finally
            {
                placement.Release(instance);
            }
        }
    }

    private async Task<Attempt> RunOnAsync(InstanceState instance, IReadOnlyList<TrainingExample> examples, JobProgress progress, CancellationToken stoppingToken)
    {
        var job = progress.Job;
        var client = new FineTuningService.FineTuningServiceClient(channels.CreateInvoker(instance.Target));
        var spec = StartJobMessages.Spec(job, examples.Count, jobs.CheckpointDir(job.Id), jobs.AdapterDir(job.Id), job.CheckpointStep, options.Value);
        JobState state;
        try
        {
            state = await StartAsync(client, spec, examples, stoppingToken).ConfigureAwait(false);
        }
        catch (RpcException) when (stoppingToken.IsCancellationRequested)
        {
            return Attempt.Ended(JobOutcome.Interrupted);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.ResourceExhausted or StatusCode.Unimplemented)
        {
            LogRefused(logger, job.Id, instance.Name, e.StatusCode, e.Status.Detail);
            return Attempt.Refused;
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange
            or StatusCode.PermissionDenied or StatusCode.Unauthenticated or StatusCode.AlreadyExists)
        {
            return Attempt.Ended(JobOutcome.Failed($"Decode instance {instance.Name} refused the job: {e.Status.Detail}"));
        }
        catch (RpcException e)
        {
            return Attempt.Lost($"{e.StatusCode}: {e.Status.Detail}");
        }

        // A resumed run may start from a checkpoint newer than the last step reported here (the instance died between
        // checkpointing a step and reporting it): the watch then asks for that step too, which the instance replays.
        long reported = progress.Job.Step;
        bool began = state.Attached
            ? progress.Attach(state.TotalSteps, instance.Name)
            : progress.Begin(state.TotalSteps, examples.Count, state.ResumedFromStep, state.TokensTrained, instance.Name);
        if (!began)
        {
            // Cancelled while it was being placed.
            await TryCancelAsync(client, job.Id).ConfigureAwait(false);
            return Attempt.Ended(JobOutcome.Interrupted);
        }
        long afterStep = state.Attached ? progress.Job.Step : Math.Min(reported, state.ResumedFromStep);
        return await WatchAsync(client, instance, spec, progress, afterStep, stoppingToken).ConfigureAwait(false);
    }

    private static async Task<JobState> StartAsync(FineTuningService.FineTuningServiceClient client, JobSpec spec, IReadOnlyList<TrainingExample> examples, CancellationToken ct)
    {
        using var call = client.StartJob(cancellationToken: ct);
        await call.RequestStream.WriteAsync(new StartJobMessage { Spec = spec }, ct).ConfigureAwait(false);
        foreach (var batch in StartJobMessages.Batches(examples))
        {
            await call.RequestStream.WriteAsync(new StartJobMessage { Examples = batch }, ct).ConfigureAwait(false);
        }
        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        return await call.ResponseAsync.ConfigureAwait(false);
    }

    private async Task<Attempt> WatchAsync(
        FineTuningService.FineTuningServiceClient client, InstanceState instance, JobSpec spec, JobProgress progress, long afterStep, CancellationToken stoppingToken)
    {
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var canceller = ForwardCancelAsync(client, progress, watching.Token);
        try
        {
            using var call = client.WatchJob(new WatchJobRequest { JobId = spec.JobId, AfterStep = afterStep }, cancellationToken: watching.Token);
            await foreach (var update in call.ResponseStream.ReadAllAsync(watching.Token).ConfigureAwait(false))
            {
                if (update.Step is { } s)
                {
                    progress.Step(new FineTuningProgress(s.Step, s.TotalSteps, s.Loss, s.TokensTrained, s.Epoch), s.Checkpointed);
                }
                else if (update.Finished is { } final)
                {
                    return Attempt.Ended(Finished(final, instance, spec.AdapterDir, progress));
                }
            }
            return Attempt.Lost("its progress stream ended before the job did");
        }
        catch (Exception e) when (stoppingToken.IsCancellationRequested && e is RpcException or OperationCanceledException)
        {
            // This service is stopping: the job trains on; the next start attaches to it.
            return Attempt.Ended(JobOutcome.Interrupted);
        }
        catch (RpcException e)
        {
            return Attempt.Lost($"{e.StatusCode}: {e.Status.Detail}");
        }
        finally
        {
            await watching.CancelAsync().ConfigureAwait(false);
            await canceller.ConfigureAwait(false);
        }
    }

    private static JobOutcome Finished(JobState final, InstanceState instance, string adapterDir, JobProgress progress)
    {
        switch (final.Status)
        {
            case WireStatus.Succeeded:
                var weights = Path.Combine(adapterDir, "adapter_model.safetensors");
                // The instance wrote it; the Gateway and the other instances read it from the same path.
                return File.Exists(weights)
                    ? JobOutcome.Succeeded(adapterDir)
                    : JobOutcome.Failed($"Decode instance {instance.Name} saved the adapter to {adapterDir}, which this service cannot read: " +
                        "Finetune:DataPath must be storage shared by the fine-tuning service and every Decode and Prefill instance, at the same path");
            case WireStatus.Cancelled:
                return progress.CancelRequested ? JobOutcome.Cancelled : JobOutcome.Failed($"Decode instance {instance.Name} cancelled the job");
            default:
                return JobOutcome.Failed(final.Error.Length > 0 ? final.Error : $"Decode instance {instance.Name} ended the job as {final.Status}");
        }
    }

    /// <summary>Passes a cancel request of the API on to the instance; the job's final state then arrives on the watch.</summary>
    private async Task ForwardCancelAsync(FineTuningService.FineTuningServiceClient client, JobProgress progress, CancellationToken ct)
    {
        try
        {
            while (!progress.CancelRequested)
            {
                await Task.Delay(CancelPollInterval, time, ct).ConfigureAwait(false);
            }
            await client.CancelJobAsync(new JobRequest { JobId = progress.JobId }, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        catch (RpcException e) when (e.StatusCode != StatusCode.OK)
        {
            // The instance is gone or the watch ended: the job is placed again or over, and the next attempt sees the request.
        }
    }

    private static async Task TryCancelAsync(FineTuningService.FineTuningServiceClient client, string jobId)
    {
        try
        {
            await client.CancelJobAsync(new JobRequest { JobId = jobId }).ConfigureAwait(false);
        }
        catch (RpcException)
        {
        }
    }

    private enum AttemptKind
    {
        Ended,
        Refused,
        Lost,
    }

    private sealed record Attempt(AttemptKind Kind, JobOutcome? Outcome = null, string? Reason = null)
    {
        public static readonly Attempt Refused = new(AttemptKind.Refused);

        public static Attempt Ended(JobOutcome outcome) => new(AttemptKind.Ended, outcome);

        public static Attempt Lost(string reason) => new(AttemptKind.Lost, Reason: reason);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fine-tuning job {JobId}: Decode instance {Instance} stopped answering ({Reason}); placing it again from its checkpoint at step {Step}")]
    private static partial void LogLost(ILogger logger, string jobId, string instance, string reason, long step);

    [LoggerMessage(Level = LogLevel.Information, Message = "Fine-tuning job {JobId}: Decode instance {Instance} has no room ({Status}: {Reason})")]
    private static partial void LogRefused(ILogger logger, string jobId, string instance, StatusCode status, string reason);
}
