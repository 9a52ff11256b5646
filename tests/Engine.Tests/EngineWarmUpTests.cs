using Platform.Engine.Configuration;
using Platform.Engine.Loading;
using Platform.Engine.Serving;

namespace Platform.Engine.Tests;

public sealed class EngineWarmUpTests
{
    [Fact]
    public void A_warmed_up_engine_starts_as_a_cold_one_does_and_answers_with_the_same_tokens()
    {
        var config = BlendHarness.TinyConfig();
        EngineOptions Options(bool warmUp) => new() { KvCacheBytes = 4L << 20, DummySeed = 11, EnablePrefixCaching = true, WarmUp = warmUp };
        using var warm = new LlmEngine(ModelLoader.CreateDummy(config, Options(true)), Options(true), eosTokenIds: [2]);
        using var cold = new LlmEngine(ModelLoader.CreateDummy(config, Options(false)), Options(false), eosTokenIds: [2]);

        // The warm-up ran on the pool's first blocks, yet nothing shows it: all blocks free, no counters, no cached prefix.
        var stats = warm.Stats();
        Assert.Equal(stats.NumTotalBlocks, stats.NumFreeBlocks);
        Assert.Equal(0, stats.PromptTokensTotal);
        Assert.Equal(0, stats.GenerationTokensTotal);
        Assert.Equal(0, stats.StepsTotal);
        Assert.Equal(0, stats.PrefixCacheQueries);

        // Prompts that take those blocks (the first twice: the second time from the prefix cache) decode as on a cold engine.
        int[] first = [BlendHarness.Bos, .. BlendHarness.Tokens(1, 70, config.VocabSize)];
        int[] second = [BlendHarness.Bos, .. BlendHarness.Tokens(2, 23, config.VocabSize)];
        foreach (var (id, prompt) in new[] { ("a", first), ("b", second), ("c", first) })
        {
            var expected = EngineHarness.Run(cold, EngineHarness.Greedy(id, prompt, 12))[0];
            var actual = EngineHarness.Run(warm, EngineHarness.Greedy(id, prompt, 12))[0];
            Assert.Equal(expected.TokenIds, actual.TokenIds);
            Assert.Equal(expected.Usage.CachedPromptTokens, actual.Usage.CachedPromptTokens);
        }
        Assert.True(warm.Stats().PrefixCacheHits > 0, "the repeated prompt was not served from the prefix cache");
    }
}
