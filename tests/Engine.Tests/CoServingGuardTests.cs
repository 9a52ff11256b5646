using Platform.Engine.Lora.Training;

namespace Platform.Engine.Tests;

/// <summary>The co-serving guard's arithmetic, fed with chosen times (no clock).</summary>
public sealed class CoServingGuardTests
{
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    private static CoServingGuard Guard(double? slowdown = 0.1, double? capMs = null, int maxF = 8, int maxK = 3, int layers = 5) =>
        new(new CoServingOptions
        {
            MaxForwardTokens = maxF,
            MaxBackwardLayers = maxK,
            MaxInferenceSlowdown = slowdown,
            TargetIterationTime = capMs is { } c ? Ms(c) : null,
        }, layers);

    private static void WarmUp(CoServingGuard guard, double inferenceMs)
    {
        for (int i = 0; i < CoServingGuard.WarmUpSamples; i++)
        {
            guard.Plan(Ms(inferenceMs));
        }
    }

    [Fact]
    public void The_slice_controller_halves_F_then_k_when_over_and_grows_F_by_an_eighth_then_k_by_one_with_room()
    {
        var controller = new SliceSizeController(maxForwardTokens: 16, maxBackwardLayers: 4);
        var states = new List<(int, int)>();
        for (int i = 0; i < 8; i++)
        {
            controller.Observe(Ms(20), Ms(10));
            states.Add((controller.ForwardTokens, controller.BackwardLayers));
        }
        Assert.Equal([(8, 4), (4, 4), (2, 4), (1, 4), (1, 2), (1, 1), (1, 1), (1, 1)], states);
        Assert.True(controller.AtFloor);
        controller.Observe(Ms(7), Ms(10));
        Assert.Equal((1, 1), (controller.ForwardTokens, controller.BackwardLayers));
        // A slice cut short (its budget, or its sequence's end) proves no room: cheap as it was, nothing grows.
        controller.Observe(Ms(1), Ms(10), ranWholeSlice: false);
        Assert.Equal((1, 1), (controller.ForwardTokens, controller.BackwardLayers));
        states.Clear();
        for (int i = 0; i < 12; i++)
        {
            controller.Observe(Ms(1), Ms(10));
            states.Add((controller.ForwardTokens, controller.BackwardLayers));
        }
        Assert.Equal([(2, 1), (3, 1), (4, 1), (5, 1), (6, 1), (7, 1), (8, 1), (9, 1), (10, 1), (11, 1), (12, 1), (13, 1)], states);
        for (int i = 0; i < 4; i++)
        {
            controller.Observe(Ms(1), Ms(10));
        }
        Assert.Equal((16, 2), (controller.ForwardTokens, controller.BackwardLayers));
    }

    [Fact]
    public void The_budget_is_the_slowdown_share_of_the_learned_inference_p99()
    {
        var guard = Guard(slowdown: 0.1);
        // 1..100 ms: the nearest-rank p99 of 100 samples is the 99th smallest.
        for (int i = 1; i <= 100; i++)
        {
            guard.Plan(Ms(i));
        }
        Assert.Equal(Ms(99), guard.InferenceP99);
        Assert.Equal(Ms(9.9), guard.Budget(Ms(3)));
        Assert.Equal(Ms(9.9), guard.Budget(Ms(60)));
        var slice = guard.Plan(Ms(2));
        Assert.True(slice.CoServed);
        // Beside inference the guard starts with the smallest slice.
        Assert.Equal((1, 1), (slice.ForwardTokens, slice.BackwardLayers));
        Assert.Equal(Ms(9.9), slice.Budget);
    }

    [Fact]
    public void While_warming_up_the_budget_is_the_share_of_the_iterations_own_inference_time()
    {
        var guard = Guard(slowdown: 0.2);
        guard.Plan(Ms(40));
        Assert.Null(guard.InferenceP99);
        Assert.Equal(Ms(1), guard.Budget(Ms(5)));
        Assert.Equal(Ms(2), guard.Plan(Ms(10)).Budget);
    }

    [Fact]
    public void The_absolute_cap_limits_the_budget_to_what_the_inference_part_left()
    {
        var guard = Guard(slowdown: 0.1, capMs: 50);
        WarmUp(guard, 100);
        Assert.Equal(Ms(10), guard.InferenceP99! * 0.1);
        Assert.Equal(Ms(5), guard.Budget(Ms(45)));
        Assert.True(guard.Plan(Ms(60)).Skips);

        var capOnly = Guard(slowdown: null, capMs: 50);
        Assert.Equal(Ms(30), capOnly.Budget(Ms(20)));
        Assert.Equal(TimeSpan.MaxValue, Guard(slowdown: null, capMs: null).Budget(Ms(20)));
    }

    [Fact]
    public void Co_served_slices_grow_slowly_from_the_smallest_while_they_fit_and_shrink_fast_when_over()
    {
        var guard = Guard(slowdown: 0.1);
        WarmUp(guard, 10);
        var sizes = new List<(int, int)>();
        for (int i = 0; i < 9; i++)
        {
            var slice = guard.Plan(Ms(10));
            Assert.False(slice.Skips);
            guard.Observe(slice, Ms(0.2));
            sizes.Add((guard.ForwardTokens, guard.BackwardLayers));
        }
        Assert.Equal([(2, 1), (3, 1), (4, 1), (5, 1), (6, 1), (7, 1), (8, 1), (8, 2), (8, 3)], sizes);
        guard.Observe(guard.Plan(Ms(10)), Ms(3));
        Assert.Equal((4, 3), (guard.ForwardTokens, guard.BackwardLayers));
    }

    [Fact]
    public void Once_the_smallest_slice_is_known_to_break_the_budget_iterations_with_inference_skip()
    {
        var guard = Guard(slowdown: 0.1);
        WarmUp(guard, 10);
        var first = guard.Plan(Ms(10));
        Assert.Equal((1, 1), (first.ForwardTokens, first.BackwardLayers));
        guard.Observe(first, Ms(4));
        Assert.Equal(Ms(4), guard.SmallestSliceCost);
        Assert.True(guard.Plan(Ms(10)).Skips);
        Assert.Equal(1, guard.SkippedIterations);
    }

    [Fact]
    public void Without_any_limit_co_served_slices_take_the_maxima()
    {
        var guard = Guard(slowdown: null, capMs: null);
        var slice = guard.Plan(Ms(10));
        Assert.Equal((8, 3, TimeSpan.MaxValue), (slice.ForwardTokens, slice.BackwardLayers, slice.Budget));
        guard.Observe(slice, TimeSpan.FromSeconds(10));
        Assert.Equal((8, 3), (guard.Plan(Ms(10)).ForwardTokens, guard.Plan(Ms(10)).BackwardLayers));
    }

    [Fact]
    public void At_the_floor_one_cheap_slice_does_not_lift_F_off_it_but_a_steadily_cheap_floor_does()
    {
        var guard = Guard(slowdown: 0.1, maxF: 2, maxK: 1);
        WarmUp(guard, 100);
        guard.Observe(guard.Plan(Ms(100)), Ms(8));
        Assert.Equal(1, guard.ForwardTokens);
        // Smoothed floor cost 8 + (2 - 8) / 4 = 6.5 ms: over half the 10 ms budget, F stays at 1.
        guard.Observe(new CoServingSlice(1, 1, Ms(10), CoServed: true), Ms(2));
        Assert.Equal(Ms(6.5), guard.SmallestSliceCost);
        Assert.Equal(1, guard.ForwardTokens);
        for (int i = 0; i < 3; i++)
        {
            guard.Observe(new CoServingSlice(1, 1, Ms(10), CoServed: true), Ms(2));
        }
        Assert.Equal(2, guard.ForwardTokens);
    }

    [Fact]
    public void When_even_the_smallest_slice_breaks_the_budget_the_iteration_skips_fine_tuning_and_probes_now_and_then()
    {
        var guard = Guard(slowdown: 0.1, maxF: 1, maxK: 1);
        WarmUp(guard, 10);
        var probe = guard.Plan(Ms(10));
        Assert.False(probe.Skips);
        guard.Observe(probe, Ms(3));
        Assert.Equal(Ms(3), guard.SmallestSliceCost);
        long skippedBefore = guard.SkippedIterations;
        var plans = Enumerable.Range(0, 2 * CoServingGuard.ProbeEvery).Select(_ => guard.Plan(Ms(10))).ToList();
        Assert.Equal(2, plans.Count(p => !p.Skips));
        Assert.False(plans[CoServingGuard.ProbeEvery - 1].Skips);
        Assert.Equal(2 * CoServingGuard.ProbeEvery - 2, guard.SkippedIterations - skippedBefore);

        // A cheaper smallest slice (the machine got quieter) is noticed at the probes and lets fine-tuning back in.
        for (int i = 0; i < 6 * CoServingGuard.ProbeEvery; i++)
        {
            var slice = guard.Plan(Ms(10));
            if (!slice.Skips)
            {
                guard.Observe(slice, Ms(0.2));
            }
        }
        Assert.True(guard.SmallestSliceCost < Ms(1), $"smallest slice cost {guard.SmallestSliceCost}");
        Assert.False(guard.Plan(Ms(10)).Skips);
    }

    [Fact]
    public void No_slowdown_allowed_skips_every_iteration_with_inference_but_not_those_without()
    {
        var guard = Guard(slowdown: 0, capMs: 100);
        Assert.True(guard.Plan(Ms(5)).Skips);
        Assert.True(guard.Plan(Ms(0.01)).Skips);
        var alone = guard.Plan(TimeSpan.Zero);
        Assert.False(alone.Skips);
        Assert.False(alone.CoServed);
        Assert.Equal(Ms(100), alone.Budget);
        Assert.Equal(2, guard.SkippedIterations);
    }

    [Fact]
    public void Iterations_without_inference_have_their_own_slice_sized_against_the_cap_only()
    {
        var guard = Guard(slowdown: 0.1, capMs: 100);
        WarmUp(guard, 10);
        for (int i = 0; i < 5; i++)
        {
            guard.Observe(guard.Plan(Ms(10)), Ms(50));
        }
        Assert.Equal((1, 1), (guard.ForwardTokens, guard.BackwardLayers));
        var alone = guard.Plan(TimeSpan.Zero);
        Assert.Equal((8, 3), (alone.ForwardTokens, alone.BackwardLayers));
        guard.Observe(alone, Ms(150));
        Assert.Equal(4, guard.Plan(TimeSpan.Zero).ForwardTokens);

        var uncapped = Guard(slowdown: 0.1, capMs: null);
        var free = uncapped.Plan(TimeSpan.Zero);
        uncapped.Observe(free, TimeSpan.FromSeconds(10));
        Assert.Equal((8, 3), (uncapped.Plan(TimeSpan.Zero).ForwardTokens, uncapped.Plan(TimeSpan.Zero).BackwardLayers));
    }

    [Fact]
    public void A_backward_layer_runs_only_while_its_learned_cost_fits_what_is_left_of_the_budget()
    {
        var guard = Guard(slowdown: 0.1);
        WarmUp(guard, 10);
        var slice = guard.Plan(Ms(10));
        Assert.True(guard.HasRoomForBackwardLayer(slice, Ms(0.9)));
        guard.ObserveBackwardLayer(Ms(0.4));
        Assert.True(guard.HasRoomForBackwardLayer(slice, Ms(0.6)));
        Assert.False(guard.HasRoomForBackwardLayer(slice, Ms(0.7)));
        guard.ObserveBackwardLayer(Ms(0.8));
        Assert.Equal(Ms(0.5), guard.BackwardLayerCost);
        // Without inference and without a cap nothing limits the backward pass.
        Assert.True(guard.HasRoomForBackwardLayer(guard.Plan(TimeSpan.Zero), TimeSpan.FromHours(1)));
    }

    [Fact]
    public void The_sliding_quantile_forgets_samples_that_left_its_window()
    {
        var quantile = new SlidingQuantile(capacity: 10, quantile: 0.9, refreshEvery: 1);
        for (int i = 1; i <= 10; i++)
        {
            quantile.Add(i * 10);
        }
        Assert.Equal(90, quantile.Value);
        for (int i = 0; i < 10; i++)
        {
            quantile.Add(1);
        }
        Assert.Equal(1, quantile.Value);
        Assert.Equal(10, quantile.Count);
    }

    [Fact]
    public void Bad_options_are_refused_naming_the_field()
    {
        Assert.Contains("MaxInferenceSlowdown", Assert.Throws<ArgumentException>(() => Guard(slowdown: -0.1)).Message);
        Assert.Contains("MaxInferenceSlowdown", Assert.Throws<ArgumentException>(() => Guard(slowdown: double.NaN)).Message);
        Assert.Contains("TargetIterationTime", Assert.Throws<ArgumentException>(() => Guard(capMs: 0)).Message);
        Assert.Contains("MaxForwardTokens", Assert.Throws<ArgumentException>(() => Guard(maxF: 0)).Message);
    }
}
