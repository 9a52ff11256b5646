using Platform.Engine.Scheduling;
using static Platform.Scheduling.Tests.TestEngine;

namespace Platform.Scheduling.Tests;

public sealed class LifecycleTests
{
    [Fact]
    public void Precomputed_kv_gets_its_blocks_at_once_and_the_next_step_computes_only_the_rest()
    {
        var scheduler = NewScheduler(numBlocks: 8);
        var imported = Seq(1, 10);

        Assert.True(scheduler.TryAddPrecomputed(imported, 9));

        Assert.Equal(SequenceStatus.Running, imported.Status);
        Assert.Equal(9, imported.NumComputedTokens);
        Assert.Equal([0, 1, 2], imported.Blocks());
        Assert.Equal(0, imported.NumCachedPromptTokens);
        var output = scheduler.Step();
        Assert.Equal([(1L, 9, 1)], output.Describe());
        Assert.True(output.Chunks[0].SamplesNextToken);
        Assert.Equal([0, 1, 2], imported.Blocks());
        Assert.True(scheduler.KvCache.IsCached(1)); // imported full blocks are shareable once the step ran
    }

    [Fact]
    public void Precomputed_admission_that_does_not_fit_holds_nothing_and_leaves_the_sequence_reusable()
    {
        var scheduler = NewScheduler(numBlocks: 4);
        var a = Seq(1, 8);
        scheduler.Add(a);
        scheduler.Step();
        var imported = Seq(2, 13, first: 100);

        Assert.False(scheduler.TryAddPrecomputed(imported, 12));

        Assert.Equal(2, scheduler.KvCache.NumFreeBlocks);
        Assert.Empty(imported.BlockTable);
        Assert.Equal(SequenceStatus.Waiting, imported.Status);
        Assert.Equal(1, scheduler.NumRunning);
        Assert.Equal(0, scheduler.NumWaiting);
        scheduler.Finish(a);
        Assert.True(scheduler.TryAddPrecomputed(imported, 12));
        Assert.Equal([2, 3, 1], imported.Blocks()); // never-used blocks first, then a's tail block
    }

    [Fact]
    public void Precomputed_admission_respects_max_running_sequences_and_needs_a_token_left_to_compute()
    {
        var scheduler = NewScheduler(numBlocks: 8, maxRunning: 1);
        Assert.True(scheduler.TryAddPrecomputed(Seq(1, 3), 2));
        Assert.False(scheduler.TryAddPrecomputed(Seq(2, 3), 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.TryAddPrecomputed(Seq(3, 3), 3));
        Assert.Equal(7, scheduler.KvCache.NumFreeBlocks);
    }

    [Fact]
    public void Finish_from_every_state_returns_every_block()
    {
        var scheduler = NewScheduler(numBlocks: 8, maxBatchedTokens: 6);
        var decoding = Seq(1, 5);
        var midPrefill = Seq(2, 9, first: 100);
        var waiting = Seq(3, 30, first: 200);
        var queued = Seq(4, 3, first: 300);
        var imported = Seq(5, 7, first: 400);
        var neverAdded = Seq(6, 3);
        scheduler.Add(decoding);
        scheduler.Add(midPrefill);
        scheduler.Step();
        scheduler.Add(waiting);
        scheduler.Add(queued);
        Assert.True(scheduler.TryAddPrecomputed(imported, 6));
        Assert.Single(midPrefill.BlockTable);

        foreach (var sequence in new[] { decoding, midPrefill, waiting, queued, imported, neverAdded })
        {
            scheduler.Finish(sequence);
            scheduler.Finish(sequence); // twice is a no-op
            Assert.Equal(SequenceStatus.Finished, sequence.Status);
            Assert.Empty(sequence.BlockTable);
        }

        Assert.Equal(8, scheduler.KvCache.NumFreeBlocks);
        Assert.Equal(0, scheduler.NumRunning);
        Assert.Equal(0, scheduler.NumWaiting);
        Assert.True(scheduler.Schedule().IsEmpty);
    }

    [Fact]
    public void A_preempted_sequence_finished_while_waiting_leaves_the_queue()
    {
        var scheduler = NewScheduler(numBlocks: 4);
        var a = Seq(1, 8);
        var b = Seq(2, 8, first: 100);
        scheduler.Add(a);
        scheduler.Add(b);
        scheduler.Step();
        Assert.Equal([b], scheduler.Step().Preempted);

        scheduler.Finish(b);
        scheduler.Finish(a);

        Assert.Equal(0, scheduler.NumWaiting);
        Assert.Equal(4, scheduler.KvCache.NumFreeBlocks);
    }

    [Fact]
    public void A_sequence_cancelled_between_schedule_and_completion_is_skipped_on_completion()
    {
        var scheduler = NewScheduler(numBlocks: 8);
        var a = Seq(1, 5);
        var b = Seq(2, 5, first: 100);
        scheduler.Add(a);
        scheduler.Add(b);
        var output = scheduler.Schedule();

        scheduler.Finish(a);
        scheduler.OnStepCompleted(output);

        Assert.Equal(5, b.NumComputedTokens);
        Assert.Equal(8, scheduler.KvCache.NumFreeBlocks + b.BlockTable.Count);
        Assert.Throws<InvalidOperationException>(() => a.AppendToken(1));
    }

    [Fact]
    public void Misuse_is_reported_clearly()
    {
        var scheduler = NewScheduler(numBlocks: 2, blockSize: 4);
        Assert.Throws<ArgumentException>(() => Seq(1, 0));
        var tooLong = Assert.Throws<ArgumentException>(() => scheduler.Add(Seq(1, 9)));
        Assert.Contains("at most 8", tooLong.Message, StringComparison.Ordinal);

        var a = Seq(2, 8);
        scheduler.Add(a);
        Assert.Throws<InvalidOperationException>(() => scheduler.Add(a));
        Assert.Throws<InvalidOperationException>(() => NewScheduler(numBlocks: 2).Finish(a));

        scheduler.Step(); // a now has 9 tokens, more than the pool holds: the engine should have finished it
        var outgrown = Assert.Throws<InvalidOperationException>(scheduler.Schedule);
        Assert.Contains("MaxSequenceLength", outgrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Out_of_order_completion_is_rejected()
    {
        var scheduler = NewScheduler(numBlocks: 8);
        var a = Seq(1, 5);
        scheduler.Add(a);
        var output = scheduler.Schedule();
        scheduler.OnStepCompleted(output);

        Assert.Throws<InvalidOperationException>(() => scheduler.OnStepCompleted(output));
    }
}
