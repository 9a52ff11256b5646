using Platform.Engine.Scheduling;
using static Platform.Scheduling.Tests.TestEngine;

namespace Platform.Scheduling.Tests;

public sealed class SchedulerBatchingTests
{
    [Fact]
    public void The_token_budget_caps_every_step_and_the_last_admitted_prompt_is_chunked()
    {
        var scheduler = NewScheduler(numBlocks: 32, maxBatchedTokens: 10);
        var a = Seq(1, 8);
        var b = Seq(2, 8, first: 100);
        var c = Seq(3, 8, first: 200);
        scheduler.Add(a);
        scheduler.Add(b);
        scheduler.Add(c);

        var first = scheduler.Step();
        Assert.Equal([(1L, 0, 8), (2L, 0, 2)], first.Describe());
        Assert.Equal(10, first.NumBatchedTokens);
        Assert.Equal([true, false], first.Chunks.Select(chunk => chunk.SamplesNextToken));
        Assert.Equal(1, scheduler.NumWaiting);

        var second = scheduler.Step();
        Assert.Equal([(1L, 8, 1), (2L, 2, 6), (3L, 0, 3)], second.Describe());
        Assert.Equal(10, second.NumBatchedTokens);

        var third = scheduler.Step();
        Assert.Equal([(1L, 9, 1), (2L, 8, 1), (3L, 3, 5)], third.Describe());
        Assert.Equal(7, third.NumBatchedTokens);
    }

    [Fact]
    public void Decodes_and_a_new_prefill_share_one_step()
    {
        var scheduler = NewScheduler(numBlocks: 16);
        var a = Seq(1, 5);
        scheduler.Add(a);
        scheduler.Step();
        var b = Seq(2, 7, first: 100);
        scheduler.Add(b);

        var output = scheduler.Step();

        Assert.Equal([(1L, 5, 1), (2L, 0, 7)], output.Describe());
        Assert.All(output.Chunks, chunk => Assert.True(chunk.SamplesNextToken));
        Assert.Equal(8, output.NumBatchedTokens);
        Assert.Equal(7, a.TokenCount);
        Assert.Equal(8, b.TokenCount);
    }

    [Fact]
    public void Long_prefill_threshold_limits_one_sequence_per_step()
    {
        var scheduler = NewScheduler(numBlocks: 16, maxBatchedTokens: 100, longPrefillThreshold: 4);
        var a = Seq(1, 10);
        var b = Seq(2, 3, first: 100);
        scheduler.Add(a);
        scheduler.Add(b);

        Assert.Equal([(1L, 0, 4), (2L, 0, 3)], scheduler.Step().Describe());
        Assert.Equal([(1L, 4, 4), (2L, 3, 1)], scheduler.Step().Describe());
        Assert.Equal([(1L, 8, 2), (2L, 4, 1)], scheduler.Step().Describe());
    }

    [Fact]
    public void Admission_is_first_come_first_served_a_head_that_does_not_fit_blocks_smaller_later_requests()
    {
        var scheduler = NewScheduler(numBlocks: 4);
        var a = Seq(1, 11);
        scheduler.Add(a);
        scheduler.Step();
        Assert.Equal([0, 1, 2], a.Blocks());
        var big = Seq(2, 8, first: 100);
        var small = Seq(3, 2, first: 200);
        scheduler.Add(big);
        scheduler.Add(small);

        var output = scheduler.Step();

        Assert.Equal([(1L, 11, 1)], output.Describe());
        Assert.Equal([big, small], scheduler.Waiting);
        Assert.Equal(1, scheduler.KvCache.NumFreeBlocks);

        scheduler.Finish(a);
        Assert.Equal([(2L, 0, 8), (3L, 0, 2)], scheduler.Step().Describe());
        Assert.Equal([3, 2], big.Blocks());
        Assert.Equal([1], small.Blocks());
    }

    [Fact]
    public void No_more_than_max_running_sequences_hold_blocks()
    {
        var scheduler = NewScheduler(numBlocks: 16, maxRunning: 2);
        var a = Seq(1, 3);
        var b = Seq(2, 3, first: 100);
        var c = Seq(3, 3, first: 200);
        scheduler.Add(a);
        scheduler.Add(b);
        scheduler.Add(c);

        Assert.Equal([(1L, 0, 3), (2L, 0, 3)], scheduler.Step().Describe());
        Assert.Equal(2, scheduler.NumRunning);
        Assert.Equal(1, scheduler.NumWaiting);
        Assert.Empty(c.BlockTable);

        scheduler.Finish(a);
        Assert.Equal([(2L, 3, 1), (3L, 0, 3)], scheduler.Step().Describe());
    }

    [Fact]
    public void A_running_sequence_with_nothing_to_compute_is_skipped()
    {
        var scheduler = NewScheduler(numBlocks: 8);
        var a = Seq(1, 5);
        scheduler.Add(a);
        var output = scheduler.Schedule();
        scheduler.OnStepCompleted(output); // the engine has not appended a token yet

        Assert.True(scheduler.Schedule().IsEmpty);
        Assert.Equal(1, scheduler.NumRunning);
    }

    [Fact]
    public void Options_are_validated_and_name_the_bad_setting()
    {
        var error = Assert.Throws<ArgumentException>(() => new Scheduler(new SchedulerOptions { NumBlocks = 0 }));
        Assert.Contains("NumBlocks", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Scheduler(new SchedulerOptions { NumBlocks = 4, BlockSize = 0 }));
        Assert.Throws<ArgumentException>(() => new Scheduler(new SchedulerOptions { NumBlocks = 4, MaxBatchedTokens = -1 }));
        Assert.Throws<ArgumentException>(() => new Scheduler(new SchedulerOptions { NumBlocks = 4, LongPrefillThreshold = 0 }));
    }
}
