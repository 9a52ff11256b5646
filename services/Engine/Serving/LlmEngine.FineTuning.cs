using System.Diagnostics;
using Platform.Engine.Lora.Training;

namespace Platform.Engine.Serving;

public sealed partial class LlmEngine
{
    private CoServedFineTuning? _fineTuning;
    private CoServingGuard? _guard;
    private int _inferenceTokensThisStep;
    private long _fineTuningTicks, _iterationTicks;
    private long _fineTuningTokensFinished;

    /// <summary>The F/k controller of the running co-served job, null when none runs.</summary>
    public CoServingGuard? CoServingGuard => _guard;

    /// <summary>Share of iteration time spent on fine-tuning since the engine started.</summary>
    public double FineTuningTimeShare => _iterationTicks == 0 ? 0 : (double)_fineTuningTicks / _iterationTicks;

    /// <summary>
    /// Runs <paramref name="job"/> in this engine's iterations from the next one on: after each inference
    /// step, with what that step left of the token budget. One job at a time.
    /// </summary>
    public void StartFineTuning(CoServedFineTuning job, CoServingOptions? options = null)
    {
        if (!ReferenceEquals(job.Trainer.Model, Model))
        {
            throw new ArgumentException("the fine-tuning job trains on another model instance than this engine serves");
        }
        lock (_stepLock)
        {
            if (_fineTuning is { IsDone: false })
            {
                throw new InvalidOperationException("a fine-tuning job is already running in this engine");
            }
            _fineTuningTokensFinished += _fineTuning?.TokensTrained ?? 0;
            _fineTuning = job;
            _guard = new CoServingGuard(options ?? new CoServingOptions(), Model.Config.NumHiddenLayers);
        }
        _workSignal.Release();
    }

    /// <summary>The fine-tuning share of one iteration, after its inference step; true when it did work.</summary>
    private bool FineTuneLocked(long iterationStart)
    {
        long ftStart = Stopwatch.GetTimestamp();
        bool worked = false;
        if (_fineTuning is { IsDone: false } job && _guard is { } guard)
        {
            // Inference tokens were scheduled first; fine-tuning takes only what they left of the budget.
            int budget = Math.Min(guard.ForwardTokens, Options.MaxBatchedTokens - _inferenceTokensThisStep);
            try
            {
                worked |= job.RunForward(budget) > 0;
                worked |= job.RunBackward(guard.BackwardLayers) > 0;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A failing job must not take the serving loop down with it.
                LogFineTuningFailed(_logger, e);
                job.Fail(e.Message);
            }
            long end = Stopwatch.GetTimestamp();
            if (worked)
            {
                guard.Observe(Stopwatch.GetElapsedTime(iterationStart, end));
                _fineTuningTicks += end - ftStart;
            }
        }
        _iterationTicks += Stopwatch.GetTimestamp() - iterationStart;
        _inferenceTokensThisStep = 0;
        return worked;
    }
}
