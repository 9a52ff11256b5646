using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Platform.Engine.Lora;
using Platform.Engine.Lora.Training;
using Platform.Engine.Serving;
using Platform.Finetune.Files;
using Platform.Finetune.Hosting;
using Platform.Gateway.Adapters;
using Platform.Gateway.Backend;

namespace Platform.Finetune.Jobs;

/// <summary>
/// Runs fine-tuning jobs one at a time, co-served in the in-process engine (<see cref="LlmEngine.StartFineTuning"/>):
/// each engine iteration gives the job what inference left. Checkpoints every <c>Finetune:CheckpointEverySteps</c>
/// steps; at start, re-registers finished jobs' adapters and resumes unfinished jobs from their last checkpoint.
/// A finished job's adapter is saved in PEFT format and registered under its tenant as <c>ft:{base}:{suffix}:{id}</c>.
/// </summary>
public sealed partial class JobRunner(
    JobStore jobs,
    FileStore files,
    TrainingDataParser parser,
    LocalEngineBackend backend,
    AdapterCatalog catalog,
    FinetuneMetrics metrics,
    IOptions<FinetuneOptions> options,
    TimeProvider time,
    ILogger<JobRunner> logger) : BackgroundService
{
    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>();

    public void Enqueue(string jobId) => _queue.Writer.TryWrite(jobId);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LlmEngine engine;
        try
        {
            while ((engine = backend.Engine!) is null)
            {
                await Task.Delay(50, stoppingToken).ConfigureAwait(false);
            }
            await RestoreAsync(stoppingToken).ConfigureAwait(false);
            await foreach (var id in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                if (jobs.Find(id) is { IsTerminal: false } job)
                {
                    await RunAsync(engine, job, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
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
                    await catalog.LoadAsync(backend, name, jobs.AdapterDir(job.Id), job.Tenant, ct).ConfigureAwait(false);
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

    private async Task RunAsync(LlmEngine engine, FineTuningJob job, CancellationToken stoppingToken)
    {
        if (job.CancelRequested)
        {
            Finish(job.Id, JobStatus.Cancelled, null, "The job was cancelled.");
            return;
        }
        var o = options.Value;
        var h = job.Hyperparameters;
        LoraTrainer? trainer = null;
        CoServedFineTuning? run = null;
        try
        {
            var examples = parser.Parse(files.Content(files.Get(job.TrainingFile, job.Tenant)), engine.Tokenizer!, engine.Model.Rope.MaxPositions);
            trainer = new LoraTrainer(engine.Model, new LoraTrainingOptions
            {
                Rank = h.Rank,
                Alpha = h.Alpha,
                Targets = [.. h.TargetModules.Select(t => LoraTargets.TryParse(t, out var target) ? target : throw new InvalidOperationException($"unknown target module '{t}'"))],
                UseRsLora = h.UseRslora,
                LearningRate = h.LearningRate,
                Seed = h.Seed,
            });
            long start = 0, tokensBefore = 0;
            var checkpoint = jobs.CheckpointDir(job.Id);
            if (File.Exists(Path.Combine(checkpoint, "step.txt")))
            {
                start = trainer.LoadCheckpoint(checkpoint);
                tokensBefore = long.Parse(File.ReadAllText(Path.Combine(checkpoint, "tokens.txt")), System.Globalization.CultureInfo.InvariantCulture);
                jobs.TrimEventsAfter(job.Id, start);
                jobs.AddEvent(job.Id, $"Resumed from the checkpoint at step {start}.", null, Now());
            }
            long lastTokens = 0;
            run = new CoServedFineTuning(trainer, examples, h.NEpochs, h.BatchSize, start)
            {
                // On the engine thread, between slices: the weights are quiet while they are written.
                StepCompleted = p =>
                {
                    long tokens = tokensBefore + p.TokensTrained;
                    metrics.Step(p.TokensTrained - lastTokens, p.Loss);
                    lastTokens = p.TokensTrained;
                    var step = new StepMetrics(p.Step, p.TotalSteps, p.Loss, tokens, (double)p.Step / p.TotalSteps, p.Epoch);
                    jobs.AddEvent(job.Id, $"Step {p.Step}/{p.TotalSteps}: training loss={p.Loss:F4}", step, Now());
                    bool checkpointNow = p.Step % o.CheckpointEverySteps == 0 || p.Step == p.TotalSteps;
                    if (checkpointNow)
                    {
                        trainer.SaveCheckpoint(checkpoint);
                        File.WriteAllText(Path.Combine(checkpoint, "tokens.txt"), tokens.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }
                    // job.json is written with the checkpoint only: no disk write on the serving loop at every step.
                    jobs.Update(job.Id, j => j with { Step = p.Step, TrainedTokens = tokens }, persist: checkpointNow);
                },
            };
            if (jobs.Update(job.Id, j => j.IsTerminal ? j : j with { Status = JobStatus.Running, TotalSteps = run.TotalSteps }).IsTerminal)
            {
                // Cancelled while it was being prepared.
                return;
            }
            if (start == 0)
            {
                jobs.AddEvent(job.Id, $"Fine-tuning job started: {examples.Count} examples, {run.TotalSteps} steps.", null, Now());
            }
            if (!run.IsDone)
            {
                engine.StartFineTuning(run, new CoServingOptions
                {
                    MaxForwardTokens = o.MaxForwardTokens,
                    MaxBackwardLayers = o.MaxBackwardLayers,
                    MaxInferenceSlowdown = o.MaxInferenceSlowdown,
                    TargetIterationTime = o.TargetIterationMs > 0 ? TimeSpan.FromMilliseconds(o.TargetIterationMs) : null,
                });
            }
            while (!run.IsDone)
            {
                if (stoppingToken.IsCancellationRequested || jobs.Find(job.Id)?.CancelRequested == true)
                {
                    run.Cancel();
                }
                await Task.Delay(20, CancellationToken.None).ConfigureAwait(false);
            }
            if (run.Completed)
            {
                await CompleteAsync(engine, job, trainer, stoppingToken).ConfigureAwait(false);
            }
            else if (run.Error is { } error)
            {
                Finish(job.Id, JobStatus.Failed, error, $"The job failed: {error}");
            }
            else if (!stoppingToken.IsCancellationRequested)
            {
                Finish(job.Id, JobStatus.Cancelled, null, "The job was cancelled.");
            }
            // Stopped by shutdown: the job stays running and resumes from its checkpoint at the next start.
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogJobFailed(logger, e, job.Id);
            Finish(job.Id, JobStatus.Failed, e.Message, $"The job failed: {e.Message}");
        }
        finally
        {
            run?.Dispose();
            trainer?.Dispose();
        }
    }

    private async Task CompleteAsync(LlmEngine engine, FineTuningJob job, LoraTrainer trainer, CancellationToken ct)
    {
        var name = FineTunedModelName(job);
        var dir = jobs.AdapterDir(job.Id);
        using (var adapter = trainer.Lora.ToAdapter(name, engine.Model.DType, engine.Model.Device))
        {
            adapter.Save(dir);
        }
        await catalog.LoadAsync(backend, name, dir, job.Tenant, ct).ConfigureAwait(false);
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
