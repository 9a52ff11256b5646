using Platform.Engine.Scheduling;
using static Platform.Scheduling.Tests.TestEngine;

namespace Platform.Scheduling.Tests;

/// <summary>A blended prompt's KV past its exact prefix is never offered to other sequences as a prefix hit.</summary>
public sealed class PrefixCacheableTokensTests
{
    [Fact]
    public void Blocks_past_the_cacheable_tokens_are_never_registered()
    {
        var scheduler = NewScheduler(numBlocks: 16);
        var blended = Seq(1, 17);
        blended.PrefixCacheableTokens = 9;
        Assert.True(scheduler.TryReserveForImport(blended, 17));
        blended.AppendToken(SampledToken);
        scheduler.CompleteImport(blended);
        scheduler.Step();
        scheduler.Finish(blended);
        // 18 tokens computed, 4 full blocks of 4, but only the 2 blocks wholly before token 9 are registered.
        Assert.Equal(2, scheduler.KvCache.NumCachedBlocks);

        var again = Seq(2, 17);
        scheduler.Add(again);
        scheduler.Step();
        Assert.Equal(8, again.NumCachedPromptTokens);
        Assert.Equal(4, scheduler.KvCache.NumCachedBlocks);
    }
}
