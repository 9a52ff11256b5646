using Platform.Engine.Scheduling;
using static Platform.Scheduling.Tests.TestEngine;

namespace Platform.Scheduling.Tests;

public sealed class PrefixCacheTests
{
    [Fact]
    public void A_common_prefix_reuses_the_same_block_ids_with_refcount_two()
    {
        var scheduler = NewScheduler(numBlocks: 8);
        var a = Seq(1, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        scheduler.Add(a);
        scheduler.Step();
        Assert.Equal([0, 1, 2], a.Blocks());

        var b = Seq(2, [1, 2, 3, 4, 5, 6, 7, 8, 50, 51]);
        scheduler.Add(b);
        var output = scheduler.Step();

        Assert.Equal([(1L, 9, 1), (2L, 8, 2)], output.Describe());
        Assert.Equal([0, 1, 3], b.Blocks());
        Assert.Equal(2, scheduler.KvCache.RefCount(0));
        Assert.Equal(2, scheduler.KvCache.RefCount(1));
        Assert.Equal(1, scheduler.KvCache.RefCount(2));
        Assert.Equal(8, b.NumCachedPromptTokens);
        Assert.Equal(0, a.NumCachedPromptTokens);
        Assert.Equal(19, scheduler.KvCache.PrefixCacheQueries);
        Assert.Equal(8, scheduler.KvCache.PrefixCacheHits);

        // A shared block goes back to the free queue only when its last holder lets go.
        scheduler.Finish(a);
        Assert.Equal(1, scheduler.KvCache.RefCount(0));
        Assert.Equal([4, 5, 6, 7, 2], scheduler.KvCache.FreeQueueIds());
        scheduler.Finish(b);
        Assert.Equal([4, 5, 6, 7, 2, 3, 1, 0], scheduler.KvCache.FreeQueueIds());
    }

    [Fact]
    public void A_hit_takes_a_free_cached_block_out_of_the_free_queue()
    {
        var scheduler = NewScheduler(numBlocks: 4);
        var a = Seq(1, 8);
        scheduler.Add(a);
        scheduler.Step();
        scheduler.Finish(a);
        Assert.Equal([2, 3, 1, 0], scheduler.KvCache.FreeQueueIds());

        var b = Seq(2, 10);
        scheduler.Add(b);
        var output = scheduler.Step();

        Assert.Equal([(2L, 8, 2)], output.Describe());
        Assert.Equal([0, 1, 2], b.Blocks());
        Assert.Equal([3], scheduler.KvCache.FreeQueueIds());
        Assert.Equal(1, scheduler.KvCache.RefCount(0));
    }

    [Fact]
    public void The_block_holding_the_last_token_is_never_a_hit_so_a_step_always_yields_logits()
    {
        var scheduler = NewScheduler(numBlocks: 8);
        var a = Seq(1, 8);
        scheduler.Add(a);
        scheduler.Step();
        Assert.True(scheduler.KvCache.IsCached(1));

        // Same 8 tokens: both blocks are cached, but only the first may be hit.
        var same = Seq(2, 8);
        scheduler.Add(same);
        var output = scheduler.Step();

        Assert.Equal([(1L, 8, 1), (2L, 4, 4)], output.Describe());
        Assert.Equal([0, 1, 2], a.Blocks()); // a's decode took block 2 first
        Assert.Equal([0, 3], same.Blocks());
        Assert.Equal(4, same.NumCachedPromptTokens);

        // One more token: now both full blocks are hits.
        var longer = Seq(3, 9);
        scheduler.Add(longer);
        Assert.Contains((3L, 8, 1), scheduler.Step().Describe());
        Assert.Equal([0, 1, 5], longer.Blocks()); // same's decode took block 4
    }

    [Fact]
    public void Only_full_computed_blocks_are_cached()
    {
        var scheduler = NewScheduler(numBlocks: 8, maxBatchedTokens: 6);
        var a = Seq(1, 10);
        scheduler.Add(a);

        scheduler.Step(); // positions 0..5: block 0 full, block 1 half
        Assert.True(scheduler.KvCache.IsCached(0));
        Assert.False(scheduler.KvCache.IsCached(1));
        Assert.Equal(1, scheduler.KvCache.NumCachedBlocks);

        scheduler.Step(); // positions 6..9
        Assert.True(scheduler.KvCache.IsCached(1));
        Assert.False(scheduler.KvCache.IsCached(2));
    }

    [Fact]
    public void Different_cache_salts_never_share_blocks()
    {
        var scheduler = NewScheduler(numBlocks: 12);
        var adapter1 = Seq(1, 9, salt: 1);
        scheduler.Add(adapter1);
        scheduler.Step();

        var adapter2 = Seq(2, 9, salt: 2);
        var base0 = Seq(3, 9, salt: 0);
        var adapter1Again = Seq(4, 9, salt: 1);
        scheduler.Add(adapter2);
        scheduler.Add(base0);
        scheduler.Add(adapter1Again);
        var output = scheduler.Step();

        Assert.Contains((2L, 0, 9), output.Describe());
        Assert.Contains((3L, 0, 9), output.Describe());
        Assert.Contains((4L, 8, 1), output.Describe());
        Assert.Equal([0, 1, 9], adapter1Again.Blocks());
    }

    [Fact]
    public void A_hash_collision_on_the_block_itself_is_caught_by_comparing_tokens()
    {
        // Every block hashes alike: only verification stands between a lookup and someone else's KV.
        var scheduler = NewScheduler(numBlocks: 8, hasher: (_, _, _) => 42);
        var a = Seq(1, [1, 2, 3, 4, 5]);
        scheduler.Add(a);
        scheduler.Step();
        Assert.True(scheduler.KvCache.IsCached(0));

        var b = Seq(2, [7, 7, 7, 7, 5]);
        scheduler.Add(b);
        var output = scheduler.Step();

        Assert.Contains((2L, 0, 5), output.Describe());
        Assert.Equal([2, 3], b.Blocks());
        Assert.Equal(0, b.NumCachedPromptTokens);
    }

    [Fact]
    public void A_collision_in_the_parent_hash_is_caught_by_checking_the_parent_block()
    {
        // The hash ignores the parent, so [X, Z] and [Y, Z] give their second blocks the same hash.
        var scheduler = NewScheduler(numBlocks: 16, hasher: (_, salt, tokens) => (UInt128)(tokens[0] + (int)salt));
        int[] x = [10, 11, 12, 13];
        int[] y = [20, 21, 22, 23];
        int[] z = [30, 31, 32, 33];
        var yz = Seq(1, [.. y, .. z, 1]);
        scheduler.Add(yz);
        scheduler.Step();
        var xz = Seq(2, [.. x, .. z, 1]);
        scheduler.Add(xz);
        scheduler.Step();
        Assert.Equal(3, scheduler.KvCache.NumCachedBlocks); // Y, Z-after-Y and X; Z-after-X lost the hash slot

        var probe = Seq(3, [.. x, .. z, 2]);
        scheduler.Add(probe);
        var output = scheduler.Step();

        // X is a verified hit; the cached Z was computed after Y, so it must not be reused after X.
        Assert.Contains((3L, 4, 5), output.Describe());
        Assert.Equal(xz.BlockTable[0], probe.BlockTable[0]);
        Assert.DoesNotContain(yz.BlockTable[1], probe.BlockTable);
    }

    [Fact]
    public void A_salt_ignored_by_the_hash_is_still_compared()
    {
        var scheduler = NewScheduler(numBlocks: 8, hasher: (_, _, tokens) => (UInt128)tokens[0]);
        var a = Seq(1, 5, salt: 1);
        scheduler.Add(a);
        scheduler.Step();

        var b = Seq(2, 5, salt: 2);
        scheduler.Add(b);

        Assert.Contains((2L, 0, 5), scheduler.Step().Describe());
    }

    [Fact]
    public void Disabled_prefix_caching_caches_nothing_and_counts_nothing()
    {
        var scheduler = NewScheduler(numBlocks: 8, prefixCaching: false);
        var a = Seq(1, 9);
        scheduler.Add(a);
        scheduler.Step();
        var b = Seq(2, 9);
        scheduler.Add(b);

        Assert.Contains((2L, 0, 9), scheduler.Step().Describe());
        Assert.Equal(0, scheduler.KvCache.NumCachedBlocks);
        Assert.Equal(0, scheduler.KvCache.PrefixCacheQueries);
    }

    [Fact]
    public void Reset_forgets_every_cached_block_and_running_sequences_carry_on_uncached()
    {
        var scheduler = NewScheduler(numBlocks: 8, maxBatchedTokens: 4);
        var a = Seq(1, 12);
        scheduler.Add(a);
        scheduler.Step();
        Assert.Equal(1, scheduler.KvCache.NumCachedBlocks);

        Assert.Equal(1, scheduler.KvCache.ResetPrefixCache());

        scheduler.Step();
        scheduler.Step();
        Assert.Equal(0, scheduler.KvCache.NumCachedBlocks); // a's chain was cut at block 0
        Assert.Equal(13, a.TokenCount);

        var b = Seq(2, 12);
        scheduler.Add(b);
        scheduler.Step();
        Assert.Equal(0, b.NumCachedPromptTokens);
        scheduler.Finish(a);
        scheduler.Finish(b);
        Assert.Equal(8, scheduler.KvCache.NumFreeBlocks);
    }
}
