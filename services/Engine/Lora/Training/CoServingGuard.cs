namespace Platform.Engine.Lora.Training;

/// <summary>
/// FlexLLM's SLO guard, tied to what inference alone takes. Each iteration's inference part is timed apart
/// from its fine-tuning part; the guard keeps the p99 of those inference times over a sliding window and lets an
/// iteration that ran inference spend at most <see cref="CoServingOptions.MaxInferenceSlowdown"/> of that p99
/// on fine-tuning. Adding at most c to every iteration moves every latency quantile by at most c, so the
/// inter-token p99 stays within (1 + slowdown) of inference alone. Within that budget F and k follow a
/// <see cref="SliceSizeController"/> that starts at F = 1, k = 1; when even that smallest slice is known to
/// cost more than the budget, the iteration skips fine-tuning, which then advances in iterations without
/// inference (bounded only by the optional absolute cap). Plain CPU arithmetic over the times it is given.
/// </summary>
public sealed class CoServingGuard
{
    /// <summary>Inference samples before the learned p99 is trusted; until then the iteration's own inference time is the reference.</summary>
    public const int WarmUpSamples = 50;

    /// <summary>After this many skipped iterations one smallest slice runs anyway, so a machine that got faster is noticed.</summary>
    public const int ProbeEvery = 200;

    private const int WindowSize = 1000;
    private const double CostSmoothing = 0.25;
    private readonly CoServingOptions _options;
    private readonly SliceSizeController _coServed, _alone;
    private readonly SlidingQuantile _inferenceP99 = new(WindowSize, 0.99);
    private readonly int _maxLayers;
    private int _skipsSinceProbe;

    public CoServingGuard(CoServingOptions options, int numLayers)
    {
        options.Validate();
        if (numLayers < 1)
        {
            throw new ArgumentException($"the model needs at least one layer ({numLayers})");
        }
        _options = options;
        int maxLayers = Math.Min(options.MaxBackwardLayers, numLayers);
        // Beside inference the first slice is the smallest: one that breaks the budget costs the least there.
        _coServed = new SliceSizeController(options.MaxForwardTokens, maxLayers, startAtFloor: true);
        _maxLayers = maxLayers;
        _alone = new SliceSizeController(options.MaxForwardTokens, maxLayers);
    }

    /// <summary>F for the next iteration that also runs inference.</summary>
    public int ForwardTokens => _coServed.ForwardTokens;

    /// <summary>k for the next iteration that also runs inference.</summary>
    public int BackwardLayers => _coServed.BackwardLayers;

    /// <summary>The learned p99 of the inference part of iterations; null until <see cref="WarmUpSamples"/> were seen.</summary>
    public TimeSpan? InferenceP99 => _inferenceP99.Count >= WarmUpSamples ? TimeSpan.FromTicks((long)_inferenceP99.Value) : null;

    /// <summary>What the smallest co-served slice has been seen to cost (smoothed); null until one ran.</summary>
    public TimeSpan? SmallestSliceCost { get; private set; }

    /// <summary>Estimated cost of one backward layer (smoothed); null until one ran.</summary>
    public TimeSpan? BackwardLayerCost { get; private set; }

    /// <summary>Iterations with inference in which fine-tuning had no room.</summary>
    public long SkippedIterations { get; private set; }

    /// <summary>
    /// The fine-tuning slice for an iteration whose inference part took <paramref name="inferenceTime"/>
    /// (zero when it ran no inference).
    /// </summary>
    public CoServingSlice Plan(TimeSpan inferenceTime)
    {
        if (inferenceTime <= TimeSpan.Zero)
        {
            return new CoServingSlice(_alone.ForwardTokens, _alone.BackwardLayers, _options.TargetIterationTime ?? TimeSpan.MaxValue, CoServed: false);
        }
        _inferenceP99.Add(inferenceTime.Ticks);
        var budget = Budget(inferenceTime);
        if (budget == TimeSpan.MaxValue)
        {
            // Nothing limits fine-tuning beside inference: the maxima.
            return new CoServingSlice(_options.MaxForwardTokens, _maxLayers, budget, CoServed: true);
        }
        if (budget <= TimeSpan.Zero)
        {
            SkippedIterations++;
            return CoServingSlice.Skip(TimeSpan.Zero);
        }
        if (_coServed.AtFloor && SmallestSliceCost is { } floor && floor > budget)
        {
            if (++_skipsSinceProbe < ProbeEvery)
            {
                SkippedIterations++;
                return CoServingSlice.Skip(budget);
            }
            _skipsSinceProbe = 0;
        }
        return new CoServingSlice(_coServed.ForwardTokens, _coServed.BackwardLayers, budget, CoServed: true);
    }

    /// <summary>
    /// How long fine-tuning may take in an iteration whose inference part took <paramref name="inferenceTime"/>:
    /// the slowdown share of the learned inference p99 (of this iteration's own time while warming up), and no
    /// more than what the absolute cap leaves. <see cref="TimeSpan.MaxValue"/> when nothing limits it.
    /// </summary>
    public TimeSpan Budget(TimeSpan inferenceTime)
    {
        var budget = TimeSpan.MaxValue;
        if (_options.MaxInferenceSlowdown is { } slowdown)
        {
            var reference = InferenceP99 ?? inferenceTime;
            budget = reference * slowdown;
        }
        if (_options.TargetIterationTime is { } cap)
        {
            var left = cap - inferenceTime;
            budget = left < budget ? left : budget;
        }
        return budget;
    }

    /// <summary>True when one more backward layer is expected to fit in what is left of the slice's budget.</summary>
    public bool HasRoomForBackwardLayer(CoServingSlice slice, TimeSpan spent) =>
        slice.Budget == TimeSpan.MaxValue || spent + (BackwardLayerCost ?? TimeSpan.Zero) <= slice.Budget;

    /// <summary>Records what one backward layer took.</summary>
    public void ObserveBackwardLayer(TimeSpan took) => BackwardLayerCost = Smooth(BackwardLayerCost, took);

    /// <summary>
    /// Records what an iteration's fine-tuning took under <paramref name="slice"/>, and sets F and k for the next;
    /// <paramref name="ranWholeSlice"/>: it ran F forward tokens and k backward layers (only then may they grow).
    /// </summary>
    public void Observe(CoServingSlice slice, TimeSpan spent, bool ranWholeSlice = true)
    {
        if (slice.Skips)
        {
            return;
        }
        if (slice.Budget == TimeSpan.MaxValue)
        {
            return;
        }
        if (!slice.CoServed)
        {
            _alone.Observe(spent, slice.Budget, ranWholeSlice);
            return;
        }
        if (_coServed.AtFloor)
        {
            // At the floor the smoothed cost decides: one lucky cheap slice must not lift F and k off it.
            SmallestSliceCost = Smooth(SmallestSliceCost, spent);
            spent = SmallestSliceCost.Value;
        }
        _coServed.Observe(spent, slice.Budget, ranWholeSlice);
    }

    private static TimeSpan Smooth(TimeSpan? estimate, TimeSpan sample) =>
        estimate is { } e ? e + (sample - e) * CostSmoothing : sample;
}
