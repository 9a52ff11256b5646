using System.Diagnostics;
using System.Globalization;
using Platform.Engine.Blending;
using Platform.Engine.Configuration;
using Platform.Engine.Loading;
using Platform.Engine.Lora;
using Platform.Engine.Sampling;
using Platform.Engine.Serving;

namespace Platform.Benchmarks;

/// <summary>
/// Time to first token of RAG prompts (<c>[BOS] + 32 system tokens + 4 or 8 chunks of 512 tokens + 32 question
/// tokens</c>) through the engine, side by side in one run: full prefill; prefix caching (the system prompt
/// cached by an earlier request with the same chunks in another order, as retrieval orders differ); and
/// CacheBlend at r = 0.15 and r = 0 with chunk KV from the in-memory store; and under a LoRA adapter (rank 16 on
/// every projection) a full prefill against a blend at r = 0.15 of chunk KV computed under the adapter. Dummy
/// Llama of 41M parameters (hidden 512, 8 layers, vocab 32000, 8192 positions), fp32 on the CPU.
/// </summary>
public static class BlendTtftBenchmark
{
    private const int ChunkTokens = 512;
    private const string Adapter = "rag-adapter";

    /// <summary>One row of the table: what is reused, under which adapter, against which full prefill.</summary>
    private sealed record Method(string Name, double? Ratio, string? Adapter, bool WarmPrefix, string Baseline);

    public static void Run(TextWriter output, bool quick)
    {
        // Smaller than the engine benchmark's 110M model so that the 8-chunk run fits a shared 2-core machine;
        // at 4-8k tokens the layers' matmuls and attention still dominate every step.
        var config = EngineBenchmark.Config with
        {
            HiddenSize = 512, IntermediateSize = 1376, NumHiddenLayers = 8, NumAttentionHeads = 8, NumKeyValueHeadsField = 8,
            MaxPositionEmbeddings = 8192,
        };
        var options = new EngineOptions { KvCacheBytes = 1536L << 20, MaxBatchedTokens = 8192, EnablePrefixCaching = true };
        using var engine = new LlmEngine(ModelLoader.CreateDummy(config, options), options);
        var rng = new Random(5);
        int[] Random(int n) => [.. Enumerable.Range(0, n).Select(_ => rng.Next(3, config.VocabSize))];
        var chunks = Enumerable.Range(0, 8).Select(_ => Random(ChunkTokens)).ToArray();
        var clock = Stopwatch.StartNew();
        var kvs = chunks.Select(c => ChunkKvComputer.Compute(engine, c, 1)).ToArray();
        engine.Adapters.Add(RandomAdapter(config, rank: 16, seed: 9));
        var adapterKvs = chunks.Take(quick ? 4 : 8).Select(c => ChunkKvComputer.Compute(engine, c, 1, adapter: Adapter)).ToArray();
        output.WriteLine($"## TTFT against full prefill and prefix caching ({(quick ? "quick" : "full")} run)");
        output.WriteLine();
        output.WriteLine($"model: dummy Llama, hidden 512, 8 layers, vocab 32000, 8192 positions, fp32, CPU; chunk KV computed in {clock.Elapsed.TotalSeconds:F1} s ({kvs.Sum(k => k.Bytes) / (1 << 20)} MiB in memory)");
        output.WriteLine();
        output.WriteLine("| chunks | prompt tokens | method | TTFT ms: best (each run) | speed-up | reused tokens |");
        output.WriteLine("| ---: | ---: | --- | ---: | ---: | ---: |");
        int reps = 1;
        int variant = 0;
        Method[] methods =
        [
            new("full prefill", null, null, false, "full prefill"),
            new("prefix caching", null, null, true, "full prefill"),
            new("blend r = 0.15", 0.15, null, false, "full prefill"),
            new("blend r = 0 (full reuse)", 0, null, false, "full prefill"),
            new("full prefill, adapter", null, Adapter, false, "full prefill, adapter"),
            new("blend r = 0.15, adapter", 0.15, Adapter, false, "full prefill, adapter"),
        ];
        foreach (int k in quick ? new[] { 4 } : new[] { 4, 8 })
        {
            var question = Random(32);
            var times = methods.ToDictionary(m => m.Name, _ => new List<double>());
            var reused = new Dictionary<string, int>();
            // Methods alternate within each repetition, so the shared machine's slow spells hit them all alike.
            for (int rep = 0; rep < reps; rep++)
            {
                foreach (var method in methods)
                {
                    // A system prompt no earlier request had, so nothing but what the method reuses is cached.
                    var system = Random(32);
                    var order = Enumerable.Range(0, k).ToArray();
                    if (method.WarmPrefix)
                    {
                        // The warm-up: an earlier request with the same system prompt (its chunks, retrieved in
                        // another order, would not extend the cached prefix).
                        Ttft(engine, new GenerationRequest($"warm-{variant++}", [1, .. system], SamplingParams.Greedy(1) with { IgnoreEos = true }));
                    }
                    var (ms, final) = Ttft(engine, Prompt(system, chunks, method.Adapter is null ? kvs : adapterKvs, order, question, method, ref variant));
                    times[method.Name].Add(ms);
                    reused[method.Name] = final.Usage!.CachedPromptTokens;
                }
            }
            int promptTokens = 1 + 32 + (k * ChunkTokens) + 32;
            foreach (var method in methods)
            {
                double ms = times[method.Name].Min();
                double fullMs = times[method.Baseline].Min();
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {k} | {promptTokens} | {method.Name} | {ms:F0} ({string.Join(", ", times[method.Name].Select(t => t.ToString("F0", CultureInfo.InvariantCulture)))}) | {fullMs / ms:F2}x vs {method.Baseline} | {reused[method.Name]} |"));
            }
        }
        var stats = engine.Stats().Blend;
        output.WriteLine();
        output.WriteLine($"blend counters: {stats.Lookups} lookups, {stats.Blended} blended, {stats.Fallbacks} fallbacks, {stats.TokensReused} tokens reused, {stats.TokensRecomputed} recomputed, {stats.BytesLoaded / (1 << 20)} MiB loaded");
        foreach (var kv in kvs.Concat(adapterKvs))
        {
            kv.Dispose();
        }
    }

    /// <summary>A random adapter with nonzero B on every projection (its cost, not its quality, is measured).</summary>
    private static LoraAdapter RandomAdapter(ModelConfig config, int rank, long seed)
    {
        var generator = new TorchSharp.torch.Generator((ulong)seed);
        var weights = new Dictionary<(int, LoraTarget), (TorchSharp.torch.Tensor, TorchSharp.torch.Tensor)>();
        for (int layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            foreach (var target in LoraTargets.All)
            {
                var (outF, inF) = LoraTargets.Shape(target, config);
                weights[(layer, target)] = (
                    TorchSharp.torch.randn([rank, inF], generator: generator).mul_(1.0 / Math.Sqrt(inF)),
                    TorchSharp.torch.randn([outF, rank], generator: generator).mul_(0.01));
            }
        }
        return new LoraAdapter(Adapter, new LoraAdapterConfig(rank, 16, LoraTargets.All, false, "dummy"), config, weights);
    }

    private static GenerationRequest Prompt(
        int[] system, int[][] chunks, InMemoryChunkKv[] kvs, int[] order, int[] question, Method method, ref int variant)
    {
        var prompt = new List<int> { 1 };
        prompt.AddRange(system);
        var segments = new List<PromptSegment> { new(0, prompt.Count) };
        foreach (int i in order)
        {
            segments.Add(new PromptSegment(prompt.Count, chunks[i].Length, kvs[i]));
            prompt.AddRange(chunks[i]);
        }
        segments.Add(new PromptSegment(prompt.Count, question.Length));
        prompt.AddRange(question);
        var request = new GenerationRequest($"ttft-{variant++}", prompt, SamplingParams.Greedy(1) with { IgnoreEos = true })
        {
            Blend = method.Ratio is { } r ? new BlendSpec(segments) { RecomputeRatio = r } : null,
            Adapter = method.Adapter,
        };
        return request;
    }

    /// <summary>Milliseconds from adding the request to its first token, the engine stepping on this thread.</summary>
    private static (double Ms, GenerationEvent Final) Ttft(LlmEngine engine, GenerationRequest request)
    {
        var clock = Stopwatch.StartNew();
        var stream = engine.AddRequest(request);
        GenerationEvent? first = null;
        while (first is null)
        {
            engine.Step();
            stream.Events.TryRead(out first);
        }
        double ms = clock.Elapsed.TotalMilliseconds;
        var final = first;
        while (!final.IsFinal)
        {
            engine.Step();
            while (stream.Events.TryRead(out var e))
            {
                final = e;
            }
        }
        return (ms, final);
    }
}
