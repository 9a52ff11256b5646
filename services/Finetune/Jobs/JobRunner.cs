using System.Threading.Channels;
using Platform.Engine.Lora;
using Platform.Finetune.Files;
using Platform.Finetune.Hosting;
using Platform.Gateway.Adapters;

namespace Platform.Finetune.Jobs;

/// <summary>
/// Runs fine-tuning jobs in creation order, as many at once as the executor has engines (one in the all-in-one mode,
/// one per Decode instance in Split mode). At start, re-registers finished jobs' adapters and resumes unfinished
/// jobs from their last checkpoint. A finished job's PEFT adapter is registered under its tenant as
/// <c>ft:{base}:{suffix}:{id}</c> wherever the Gateway serves adapters (its engine, or every Prefill and Decode instance).
/// </summary>
public sealed partial class JobRunner(
    JobStore jobs,
    FileStore files,
    TrainingDataParser parser,
    IFineTuningModel model,
    IJobExecutor executor,
    IAdapterHost adapters,
    AdapterCatalog catalog,
    FinetuneMetrics metrics,
    TimeProvider time,
    ILogger<JobRunner> logger) : BackgroundService
{
    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>();

    public void Enqueue(string jobId) => _queue.Writer.TryWrite(jobId);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var running = new List<Task>();
        using var slots = new SemaphoreSlim(Math.Max(1, executor.MaxConcurrentJobs));
        try
        {
            await model.WaitReadyAsync(stoppingToken).ConfigureAwait(false);
            await RestoreAsync(stoppingToken).ConfigureAwait(false);
            await foreach (var id in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                await slots.WaitAsync(stoppingToken).ConfigureAwait(false);
                running.RemoveAll(t => t.IsCompleted);
                if (jobs.Find(id) is { IsTerminal: false } job)
                {
                    running.Add(RunAndReleaseAsync(job, slots, stoppingToken));
                }
                else
                {
                    slots.Release();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // Running jobs see the stop and leave their checkpoints for the next start.
            await Task.WhenAll(running).ConfigureAwait(false);
        }
    }

    private async Task RunAndReleaseAsync(FineTuningJob job, SemaphoreSlim slots, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Yield();
            await RunAsync(job, stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task RestoreAsync(CancellationToken ct)
    {
        foreach (var job in jobs.All.OrderBy(j => j.CreatedTicks))
        {
            if (job is { Status: JobStatus.Succeeded, FineTunedModel: { } name })
            {
                try
                {
                    await catalog.LoadAsync(adapters, name, jobs.AdapterDir(job.Id), job.Tenant, ct).ConfigureAwait(false);
                }
                catch (LoraAdapterException e)
                {
                    LogRestoreFailed(logger, job.Id, e.Message);
                }
            }
            else if (!job.IsTerminal)
            {
                Enqueue(job.Id);
            }
        }
    }

    private async Task RunAsync(FineTuningJob job, CancellationToken stoppingToken)
    {
        if (job.CancelRequested)
        {
            Finish(job.Id, JobStatus.Cancelled, null, "The job was cancelled.");
            return;
        }
        try
        {
            var (tokenizer, maxTokens) = model.Tokenization();
            var examples = parser.Parse(files.Content(files.Get(job.TrainingFile, job.Tenant)), tokenizer, maxTokens);
            var outcome = await executor.RunAsync(job, examples, new JobProgress(jobs, metrics, time, job.Id), stoppingToken).ConfigureAwait(false);
            switch (outcome.Kind)
            {
                case JobOutcomeKind.Succeeded:
                    await CompleteAsync(job, outcome.AdapterDir!, stoppingToken).ConfigureAwait(false);
                    break;
                case JobOutcomeKind.Failed:
                    Finish(job.Id, JobStatus.Failed, outcome.Error, $"The job failed: {outcome.Error}");
                    break;
                case JobOutcomeKind.Cancelled:
                    Finish(job.Id, JobStatus.Cancelled, null, "The job was cancelled.");
                    break;
                case JobOutcomeKind.Interrupted:
                    break;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            LogJobFailed(logger, e, job.Id);
            Finish(job.Id, JobStatus.Failed, e.Message, $"The job failed: {e.Message}");
        }
    }

    private async Task CompleteAsync(FineTuningJob job, string adapterDir, CancellationToken ct)
    {
        var name = FineTunedModelName(job);
        try
        {
            await catalog.LoadAsync(adapters, name, adapterDir, job.Tenant, ct).ConfigureAwait(false);
        }
        catch (LoraAdapterException e)
        {
            Finish(job.Id, JobStatus.Failed, $"the adapter saved at {adapterDir} could not be registered: {e.Message}",
                $"The job failed: the adapter saved at {adapterDir} could not be registered: {e.Message}");
            return;
        }
        jobs.Update(job.Id, j => j with { FineTunedModel = name });
        Finish(job.Id, JobStatus.Succeeded, null, $"The job has successfully completed: {name} is served.");
    }

    public static string FineTunedModelName(FineTuningJob job) => $"ft:{job.Model}:{job.Suffix}:{job.Id}";

    private void Finish(string id, JobStatus status, string? error, string message)
    {
        jobs.Update(id, j => j with { Status = status, Error = error, FinishedAt = Now() });
        jobs.AddEvent(id, message, null, Now(), status == JobStatus.Failed ? "error" : "info");
    }

    private long Now() => time.GetUtcNow().ToUnixTimeSeconds();

    [LoggerMessage(Level = LogLevel.Error, Message = "Fine-tuning job {JobId} failed")]
    private static partial void LogJobFailed(ILogger logger, Exception e, string jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The adapter of fine-tuning job {JobId} could not be registered again: {Reason}")]
    private static partial void LogRestoreFailed(ILogger logger, string jobId, string reason);
}
