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

    /// <summary>
    /// The fine-tuning share of one iteration, after its inference step (which took <paramref name="inferenceTime"/>,
    /// zero when it ran none); true when it did work.
    /// </summary>
    private bool FineTuneLocked(long iterationStart, TimeSpan inferenceTime)
    {
        bool worked = _fineTuning is { IsDone: false } job && _guard is { } guard && RunSlice(job, guard, inferenceTime);
        _iterationTicks += Stopwatch.GetTimestamp() - iterationStart;
        _inferenceTokensThisStep = 0;
        return worked;
    }

    /// <summary>
    /// One slice as the guard sizes it: the forward part, then backward layers one at a time while the next is
    /// expected to fit the slice's budget. True when it did work.
    /// </summary>
    private bool RunSlice(CoServedFineTuning job, CoServingGuard guard, TimeSpan inferenceTime)
    {
        long start = Stopwatch.GetTimestamp();
        var slice = guard.Plan(inferenceTime);
        if (slice.Skips)
        {
            return false;
        }
        // Inference tokens were scheduled first; fine-tuning takes only what they left of the token budget.
        int tokens = Math.Min(slice.ForwardTokens, Options.MaxBatchedTokens - _inferenceTokensThisStep);
        int forwarded = 0;
        bool worked = false, cutShort = false;
        try
        {
            forwarded = job.RunForward(tokens);
            worked = forwarded > 0;
            cutShort = RunBackwardLayers(job, guard, slice, start, ref worked);
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
            // A slice cut short by its budget, or whose forward part ended with its sequence, says nothing about room.
            guard.Observe(slice, Stopwatch.GetElapsedTime(start, end), !cutShort && (forwarded == 0 || forwarded == slice.ForwardTokens));
            _fineTuningTicks += end - start;
        }
        return worked;
    }

    /// <summary>The slice's backward layers, setting <paramref name="worked"/> as each runs; true when the budget cut them short.</summary>
    private static bool RunBackwardLayers(CoServedFineTuning job, CoServingGuard guard, CoServingSlice slice, long start, ref bool worked)
    {
        for (int layer = 0; layer < slice.BackwardLayers; layer++)
        {
            // Beside inference a backward layer runs only when it is expected to fit; without inference the slice's
            // first unit always runs, so the job always advances when inference is idle.
            if ((worked || slice.CoServed) && !guard.HasRoomForBackwardLayer(slice, Stopwatch.GetElapsedTime(start)))
            {
                return true;
            }
            long layerStart = Stopwatch.GetTimestamp();
            if (job.RunBackward(1) == 0)
            {
                break;
            }
            worked = true;
            guard.ObserveBackwardLayer(Stopwatch.GetElapsedTime(layerStart));
        }
        return false;
    }
}
