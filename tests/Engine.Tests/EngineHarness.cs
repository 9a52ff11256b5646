using Platform.Engine.Configuration;
using Platform.Engine.Sampling;
using Platform.Engine.Serving;

namespace Platform.Engine.Tests;

/// <summary>Drives an engine on the test thread: step until every request is done, then read the results.</summary>
public static class EngineHarness
{
    public static LlmEngine Stories(EngineOptions? options = null) =>
        LlmEngine.Load(TestModels.RequireStories260K(), options ?? new EngineOptions { KvCacheBytes = 8L * 1024 * 1024 });

    public static GenerationResult[] Run(LlmEngine engine, params GenerationRequest[] requests)
    {
        var streams = requests.Select(engine.AddRequest).ToArray();
        Drain(engine);
        return [.. streams.Select(s => s.CollectAsync().GetAwaiter().GetResult())];
    }

    public static void Drain(LlmEngine engine)
    {
        for (int guard = 0; engine.HasUnfinishedRequests; guard++)
        {
            Assert.True(guard < 100_000, "engine did not finish its requests");
            engine.Step();
        }
    }

    public static GenerationRequest Greedy(string id, IReadOnlyList<int> prompt, int maxTokens, params int[] stopTokens) =>
        new(id, prompt, SamplingParams.Greedy(maxTokens) with { StopTokenIds = stopTokens });
}
