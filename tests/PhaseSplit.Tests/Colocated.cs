using Platform.Engine.Configuration;
using Platform.Engine.Sampling;
using Platform.Engine.Serving;

namespace Platform.PhaseSplit.Tests;

/// <summary>The reference: one in-process engine doing prefill and decode, stepped on the test thread.</summary>
public static class Colocated
{
    public static List<int>[] Generate(string model, IReadOnlyList<(IReadOnlyList<int> Prompt, int MaxTokens)> requests)
    {
        using var engine = LlmEngine.Load(model, new EngineOptions { KvCacheBytes = 8L << 20 });
        var streams = requests
            .Select((r, i) => engine.AddRequest(new GenerationRequest($"colocated-{i}", r.Prompt, SamplingParams.Greedy(r.MaxTokens))))
            .ToArray();
        for (int guard = 0; engine.HasUnfinishedRequests; guard++)
        {
            Assert.True(guard < 100_000, "the colocated engine did not finish");
            engine.Step();
        }
        return [.. streams.Select(s => s.CollectAsync().GetAwaiter().GetResult().TokenIds.ToList())];
    }

    public static int[] Encode(string model, string text)
    {
        var tokenizer = Platform.Tokenizers.Tokenizer.FromDirectory(model);
        return tokenizer.Encode(text);
    }
}
