using Platform.Engine.Configuration;
using static Platform.Engine.Tests.EngineHarness;

namespace Platform.Engine.Tests;

public sealed class EngineStatsTests
{
    [SkippableFact]
    public void Queued_prompt_tokens_count_admitted_prompts_until_their_prefill_is_computed()
    {
        using var engine = Stories(new EngineOptions { KvCacheBytes = 8L * 1024 * 1024, MaxBatchedTokens = 16 });
        Assert.Equal(0, engine.Stats().QueuedPromptTokens);
        IReadOnlyList<int>[] prompts = [[.. Enumerable.Range(0, 40).Select(i => 3 + i)], [.. Enumerable.Range(0, 30).Select(i => 100 + i)]];
        var streams = prompts.Select((p, i) => engine.AddRequest(Greedy($"q{i}", p, 4))).ToArray();
        Assert.Equal(70, engine.Stats().QueuedPromptTokens);

        // A 16-token budget computes at most 16 prompt tokens a step: the rest stays queued (chunked prefill).
        engine.Step();
        long afterOneStep = engine.Stats().QueuedPromptTokens;
        Assert.InRange(afterOneStep, 70 - 16, 69);

        Drain(engine);
        Assert.Equal(0, engine.Stats().QueuedPromptTokens);
        Assert.All(streams, s => Assert.NotEmpty(s.CollectAsync().GetAwaiter().GetResult().TokenIds));
    }
}
