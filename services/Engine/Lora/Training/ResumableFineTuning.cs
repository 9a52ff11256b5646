using System.Globalization;
using Platform.Engine.Model;

namespace Platform.Engine.Lora.Training;

/// <summary>
/// A co-served job (<see cref="CoServedFineTuning"/> on a <see cref="LoraTrainer"/>) that checkpoints itself every
/// N optimizer steps and after the last (weights, AdamW state, step, tokens trained) and, opened on a directory
/// that holds a checkpoint, starts from it: the resumed job's losses are those of an uninterrupted run. Both hosts
/// of fine-tuning jobs (the all-in-one fine-tuning service and a Decode instance) run jobs through it.
/// </summary>
public sealed class ResumableFineTuning : IDisposable
{
    private const string StepFile = "step.txt";
    private const string TokensFile = "tokens.txt";
    private const string LastStepFile = "last-step.json";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);
    private readonly string _checkpointDir;
    private readonly int _checkpointEverySteps;
    private readonly Action<FineTuningProgress, bool>? _stepCompleted;

    private ResumableFineTuning(LoraTrainer trainer, IReadOnlyList<TrainingExample> examples, int epochs, int batchSize,
        string checkpointDir, int checkpointEverySteps, Action<FineTuningProgress, bool>? stepCompleted)
    {
        Trainer = trainer;
        _checkpointDir = checkpointDir;
        _checkpointEverySteps = checkpointEverySteps;
        _stepCompleted = stepCompleted;
        if (CheckpointStep(checkpointDir) is not null)
        {
            StartStep = trainer.LoadCheckpoint(checkpointDir);
            var tokens = Path.Combine(checkpointDir, TokensFile);
            TokensBefore = File.Exists(tokens) ? long.Parse(File.ReadAllText(tokens), CultureInfo.InvariantCulture) : 0;
            LastCheckpointStep = StartStep;
            var lastStep = Path.Combine(checkpointDir, LastStepFile);
            if (File.Exists(lastStep))
            {
                CheckpointProgress = System.Text.Json.JsonSerializer.Deserialize<FineTuningProgress>(File.ReadAllText(lastStep)) is { } p && p.Step == StartStep ? p : null;
            }
        }
        Run = new CoServedFineTuning(trainer, examples, epochs, batchSize, StartStep) { StepCompleted = OnStep };
    }

    public LoraTrainer Trainer { get; }

    public CoServedFineTuning Run { get; }

    /// <summary>The checkpoint's step this run started from (0: from the start).</summary>
    public long StartStep { get; }

    /// <summary>
    /// The checkpointed step's own progress (loss, totals) when resuming, so a host whose report of that step was
    /// lost with the process that ran it can still give it; null when starting fresh or from an older checkpoint.
    /// </summary>
    public FineTuningProgress? CheckpointProgress { get; }

    /// <summary>Tokens trained before <see cref="StartStep"/>.</summary>
    public long TokensBefore { get; }

    /// <summary>The last step written to the checkpoint directory (0: none).</summary>
    public long LastCheckpointStep { get; private set; }

    /// <summary>Tokens trained since the job first started, across resumes.</summary>
    public long TokensTrained => TokensBefore + Run.TokensTrained;

    /// <summary>
    /// A job on <paramref name="model"/>: resumes from the checkpoint in <paramref name="checkpointDir"/> when there
    /// is one. <paramref name="stepCompleted"/> runs on the engine thread after each optimizer step with the progress
    /// (tokens counted since the first start) and whether that step was checkpointed. Throws
    /// <see cref="ArgumentException"/> for bad examples or settings, <see cref="NotSupportedException"/> for a model
    /// that cannot train (not float32).
    /// </summary>
    public static ResumableFineTuning Open(LlamaModel model, LoraTrainingOptions options, IReadOnlyList<TrainingExample> examples, int epochs, int batchSize,
        string checkpointDir, int checkpointEverySteps, Action<FineTuningProgress, bool>? stepCompleted = null)
    {
        if (checkpointEverySteps < 1)
        {
            throw new ArgumentException($"checkpoints every {checkpointEverySteps} steps: it must be at least 1");
        }
        if (string.IsNullOrWhiteSpace(checkpointDir))
        {
            throw new ArgumentException("a fine-tuning job needs a checkpoint directory");
        }
        var trainer = new LoraTrainer(model, options);
        try
        {
            return new ResumableFineTuning(trainer, examples, epochs, batchSize, checkpointDir, checkpointEverySteps, stepCompleted);
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
    }

    /// <summary>The step of the checkpoint in <paramref name="directory"/>, or null when it holds none.</summary>
    public static long? CheckpointStep(string directory)
    {
        var file = Path.Combine(directory, StepFile);
        return File.Exists(file) ? long.Parse(File.ReadAllText(file), CultureInfo.InvariantCulture) : null;
    }

    /// <summary>Saves the adapter as trained so far in PEFT format (adapter_config.json + adapter_model.safetensors). Call once the run is done.</summary>
    public void SaveAdapter(string directory, string name)
    {
        using var adapter = Trainer.Lora.ToAdapter(name, Trainer.Model.DType, Trainer.Model.Device);
        adapter.Save(directory);
    }

    private void OnStep(FineTuningProgress p)
    {
        long tokens = TokensBefore + p.TokensTrained;
        bool checkpoint = p.Step % _checkpointEverySteps == 0 || p.Step == p.TotalSteps;
        if (checkpoint)
        {
            // On the engine thread, between slices: the weights are quiet while they are written. step.txt is moved
            // into place last, so it marks a complete checkpoint.
            Directory.CreateDirectory(_checkpointDir);
            var tokensFile = Path.Combine(_checkpointDir, TokensFile);
            File.WriteAllText(tokensFile + ".tmp", tokens.ToString(CultureInfo.InvariantCulture));
            File.Move(tokensFile + ".tmp", tokensFile, overwrite: true);
            var lastStepFile = Path.Combine(_checkpointDir, LastStepFile);
            File.WriteAllText(lastStepFile + ".tmp", System.Text.Json.JsonSerializer.Serialize(p with { TokensTrained = tokens }));
            File.Move(lastStepFile + ".tmp", lastStepFile, overwrite: true);
            Trainer.SaveCheckpoint(_checkpointDir);
            LastCheckpointStep = p.Step;
        }
        _stepCompleted?.Invoke(p with { TokensTrained = tokens }, checkpoint);
    }

    /// <summary>Waits until the run is done, cancelling it as soon as <paramref name="stop"/> says so (the engine loop runs it meanwhile).</summary>
    public async Task WaitAsync(Func<bool> stop)
    {
        while (!Run.IsDone)
        {
            if (stop())
            {
                Run.Cancel();
            }
            await Task.Delay(PollInterval, CancellationToken.None).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        Run.Dispose();
        Trainer.Dispose();
    }
}
