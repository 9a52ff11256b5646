using Platform.Engine.Scheduling;
using static Platform.Scheduling.Tests.TestEngine;

namespace Platform.Scheduling.Tests;

public sealed class BlockAllocationTests
{
    [Fact]
    public void Fresh_pool_hands_out_block_ids_in_ascending_order()
    {
        var scheduler = NewScheduler(numBlocks: 8);
        var a = Seq(1, 6);
        var b = Seq(2, 5, first: 100);
        scheduler.Add(a);
        scheduler.Add(b);

        scheduler.Step();

        Assert.Equal([0, 1], a.Blocks());
        Assert.Equal([2, 3], b.Blocks());
        Assert.Equal([4, 5, 6, 7], scheduler.KvCache.FreeQueueIds());
        Assert.Equal(4, scheduler.KvCache.NumFreeBlocks);
        Assert.Equal(0.5, scheduler.KvCache.Usage);
    }

    [Fact]
    public void Blocks_are_allocated_only_when_a_chunk_reaches_a_new_block()
    {
        var scheduler = NewScheduler(numBlocks: 8);
        var a = Seq(1, 6);
        scheduler.Add(a);

        scheduler.Step(); // positions 0..5
        Assert.Equal([0, 1], a.Blocks());
        scheduler.Step(); // position 6
        scheduler.Step(); // position 7 fills block 1
        Assert.Equal([0, 1], a.Blocks());

        var output = scheduler.Step(); // position 8 needs block 2

        Assert.Equal([(1L, 8, 1)], output.Describe());
        Assert.Equal([0, 1, 2], a.Blocks());
        Assert.Equal(5, scheduler.KvCache.NumFreeBlocks);
    }

    [Fact]
    public void Chunked_prefill_allocates_blocks_step_by_step()
    {
        var scheduler = NewScheduler(numBlocks: 8, maxBatchedTokens: 4);
        var a = Seq(1, 10);
        scheduler.Add(a);

        Assert.Equal([(1L, 0, 4)], scheduler.Step().Describe());
        Assert.Equal([0], a.Blocks());
        Assert.Equal([(1L, 4, 4)], scheduler.Step().Describe());
        Assert.Equal([0, 1], a.Blocks());
        var last = scheduler.Step();
        Assert.Equal([(1L, 8, 2)], last.Describe());
        Assert.Equal([0, 1, 2], a.Blocks());
        Assert.True(last.Chunks[0].SamplesNextToken);
        Assert.Equal(11, a.TokenCount);
    }

    [Fact]
    public void A_finished_sequence_releases_its_blocks_last_block_first()
    {
        var scheduler = NewScheduler(numBlocks: 8);
        var a = Seq(1, 10);
        var b = Seq(2, 3, first: 100);
        scheduler.Add(a);
        scheduler.Add(b);
        scheduler.Step();
        Assert.Equal([0, 1, 2], a.Blocks());
        Assert.Equal([3], b.Blocks());

        scheduler.Finish(a);

        Assert.Empty(a.BlockTable);
        Assert.Equal([4, 5, 6, 7, 2, 1, 0], scheduler.KvCache.FreeQueueIds());
        scheduler.Finish(b);
        Assert.Equal([4, 5, 6, 7, 2, 1, 0, 3], scheduler.KvCache.FreeQueueIds());
    }

    [Fact]
    public void Cached_free_blocks_are_evicted_least_recently_freed_first_tail_blocks_before_head_blocks()
    {
        var scheduler = NewScheduler(numBlocks: 6);
        var a = Seq(1, 8);
        var b = Seq(2, 8, first: 100);
        scheduler.Add(a);
        scheduler.Add(b);
        scheduler.Step();
        Assert.Equal([0, 1], a.Blocks());
        Assert.Equal([2, 3], b.Blocks());
        scheduler.Finish(a);
        scheduler.Finish(b);
        Assert.Equal([4, 5, 1, 0, 3, 2], scheduler.KvCache.FreeQueueIds());
        Assert.Equal(4, scheduler.KvCache.NumCachedBlocks);

        // Three blocks of new data: the two never-used blocks, then a's tail block.
        var c = Seq(3, 12, first: 200);
        scheduler.Add(c);
        scheduler.Step();

        Assert.Equal([4, 5, 1], c.Blocks());
        Assert.Equal([0, 3, 2], scheduler.KvCache.FreeQueueIds());
        Assert.Equal(6, scheduler.KvCache.NumCachedBlocks); // a's block 1 evicted, c's three blocks added

        // a's first block is still hittable; its second is gone, so the chain stops there.
        scheduler.Finish(c);
        var a2 = Seq(4, 9);
        scheduler.Add(a2);
        var output = scheduler.Step();

        Assert.Equal([(4L, 4, 5)], output.Describe());
        Assert.Equal([0, 3, 2], a2.Blocks());
        Assert.Equal(4, a2.NumCachedPromptTokens);
    }

    [Fact]
    public void Outputs_of_empty_steps_are_empty()
    {
        var scheduler = NewScheduler(numBlocks: 4);

        var output = scheduler.Schedule();

        Assert.True(output.IsEmpty);
        Assert.Empty(output.Preempted);
        Assert.Equal(0, output.NumBatchedTokens);
    }
}
