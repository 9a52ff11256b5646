using Platform.Engine.Scheduling;
using static Platform.Scheduling.Tests.TestEngine;

namespace Platform.Scheduling.Tests;

public sealed class PreemptionTests
{
    [Fact]
    public void When_blocks_run_out_the_latest_arrival_is_preempted_and_its_blocks_go_to_the_earlier_one()
    {
        var scheduler = NewScheduler(numBlocks: 4);
        var a = Seq(1, 8);
        var b = Seq(2, 8, first: 100);
        scheduler.Add(a);
        scheduler.Add(b);
        scheduler.Step();
        Assert.Equal([0, 1], a.Blocks());
        Assert.Equal([2, 3], b.Blocks());

        var output = scheduler.Step();

        Assert.Equal([(1L, 8, 1)], output.Describe());
        Assert.Equal([b], output.Preempted);
        Assert.Equal(SequenceStatus.Waiting, b.Status);
        Assert.Equal(0, b.NumComputedTokens);
        Assert.Equal(1, b.NumPreemptions);
        Assert.Empty(b.BlockTable);
        Assert.Equal(9, b.TokenCount); // its sampled token is kept and recomputed later
        // b's blocks were released last first ([3, 2]); a took the head.
        Assert.Equal([0, 1, 3], a.Blocks());
        Assert.Equal([2], scheduler.KvCache.FreeQueueIds());
        Assert.Equal(1, scheduler.NumRunning);
        Assert.Equal(1, scheduler.NumWaiting);
    }

    [Fact]
    public void A_sequence_that_is_itself_the_latest_arrival_preempts_itself_and_the_step_stops_there()
    {
        var scheduler = NewScheduler(numBlocks: 4);
        var a = Seq(1, 11);
        var b = Seq(2, 4, first: 100);
        scheduler.Add(a);
        scheduler.Add(b);
        scheduler.Step();
        Assert.Equal([3], b.Blocks());

        var output = scheduler.Step();

        Assert.Equal([(1L, 11, 1)], output.Describe());
        Assert.Equal([b], output.Preempted);
        Assert.Equal([0, 1, 2], a.Blocks());
        Assert.Equal([3], scheduler.KvCache.FreeQueueIds());
    }

    [Fact]
    public void A_preempted_sequence_queues_before_later_arrivals_and_resumes_first_with_its_own_cached_blocks()
    {
        var scheduler = NewScheduler(numBlocks: 5);
        var a = Seq(1, 8);
        var b = Seq(2, 8, first: 100);
        scheduler.Add(a);
        scheduler.Add(b);
        scheduler.Step(); // a [0, 1], b [2, 3]
        var c = Seq(3, 4, first: 200);
        scheduler.Add(c);

        var output = scheduler.Step(); // a takes block 4 for position 8; b then finds none

        Assert.Equal([b], output.Preempted);
        Assert.Equal([0, 1, 4], a.Blocks());
        Assert.Equal([b, c], scheduler.Waiting);
        Assert.Equal([3, 2], scheduler.KvCache.FreeQueueIds());

        scheduler.Finish(a);
        var resumed = scheduler.Step();

        // b comes back before c; its two full blocks are still cached, so only its last token is recomputed.
        Assert.Equal([(2L, 8, 1), (3L, 0, 4)], resumed.Describe());
        Assert.Equal([2, 3, 4], b.Blocks());
        Assert.Equal(0, b.NumCachedPromptTokens); // usage reports the first admission only
        Assert.Equal(SequenceStatus.Running, b.Status);
    }

    [Fact]
    public void A_step_that_preempts_admits_nobody_even_a_waiting_request_the_freed_blocks_would_fit()
    {
        var scheduler = NewScheduler(numBlocks: 8);
        var a = Seq(1, 16);
        scheduler.Add(a);
        scheduler.Step(); // a [0..3]
        var d = Seq(2, 9, first: 100);
        scheduler.Add(d);
        var c = Seq(3, 16, first: 200);
        Assert.True(scheduler.TryAddPrecomputed(c, 15)); // c [4..7] arrives after d but runs at once
        Assert.Equal(0, scheduler.KvCache.NumFreeBlocks);

        var output = scheduler.Step(); // a needs a fifth block: c, the latest arrival running, is preempted

        Assert.Equal([c], output.Preempted);
        Assert.Equal([(1L, 16, 1)], output.Describe());
        Assert.Equal([0, 1, 2, 3, 7], a.Blocks());
        Assert.Equal([6, 5, 4], scheduler.KvCache.FreeQueueIds());
        Assert.Equal([d, c], scheduler.Waiting);

        // The next step admits d, which arrived before c.
        Assert.Equal([(1L, 17, 1), (2L, 0, 9)], scheduler.Step().Describe());
        Assert.Equal([6, 5, 4], d.Blocks());
        Assert.Equal([c], scheduler.Waiting);
    }
}
