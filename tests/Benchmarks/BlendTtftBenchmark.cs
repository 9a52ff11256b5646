using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Platform.ChunkStore.Blending;
using Platform.ChunkStore.Computing;
using Platform.ChunkStore.Hosting;
using Platform.ChunkStore.Keys;
using Platform.ChunkStore.Redis;
using Platform.Engine.Blending;
using Platform.Engine.Configuration;
using Platform.Engine.Loading;
using Platform.Engine.Lora;
using Platform.Engine.Sampling;
using Platform.Engine.Serving;
using Platform.TestSupport;

namespace Platform.Benchmarks;

/// <summary>
/// Time to first token of RAG prompts (<c>[BOS] + 32 system tokens + 4 or 8 chunks of 512 tokens + 32 question
/// tokens</c>) through a running engine loop, side by side in one run: full prefill; prefix caching (the system
/// prompt cached by an earlier request with the same chunks in another order, as retrieval orders differ);
/// CacheBlend at r = 0.15 and r = 0 with the chunks' KV in a real redis-server, ingested beforehand as the
/// KvStore service does (the TTFT includes the lookup of every chunk's header and the layer-by-layer reads);
/// for reference, r = 0.15 with the chunks' KV already in process memory; and under a LoRA adapter (rank 16 on
/// every projection) a full prefill against a blend at r = 0.15 of chunk KV computed under the adapter and read
/// from Redis. Dummy Llamas of about 25M non-embedding parameters (hidden 512 with 8 layers, with 8 and with 2 KV
/// heads, and, in the full run, hidden 256 with 32 layers), vocab 32000, 8192 positions, fp32 on the CPU.
/// </summary>
public static class BlendTtftBenchmark
{
    private const int ChunkTokens = 512;
    // Best of this many per row (the quick run takes three): on a shared 2-core VM a row's times spread by up to a
    // fifth, mostly upwards, and the best is the least disturbed measurement of each method alike.
    private const int Repetitions = 5;
    private const string Adapter = "rag-adapter";
    private static readonly Method FullPrefill = new("full prefill", null, KvFrom.None);
    private static readonly Method PrefixCaching = new("prefix caching", null, KvFrom.None);
    private static readonly Method AdapterFullPrefill = new("full prefill, adapter", null, KvFrom.None, Adapter: true);
    private static readonly Method[] Methods =
    [
        FullPrefill, PrefixCaching,
        new("blend r = 0.15, Redis", 0.15, KvFrom.Redis), new("blend r = 0 (full reuse), Redis", 0, KvFrom.Redis),
        new("blend r = 0.15, in memory", 0.15, KvFrom.Memory),
        AdapterFullPrefill, new("blend r = 0.15, adapter, Redis", 0.15, KvFrom.Redis, Adapter: true),
    ];

    private enum KvFrom { None, Redis, Memory }

    /// <summary>
    /// How a request's prompt KV is built: its row name, the blend's recompute ratio (null: no blend), where chunk
    /// KV comes from, and whether it runs under the adapter (then compared with the full prefill under it).
    /// </summary>
    private sealed record Method(string Name, double? Ratio, KvFrom Kv, bool Adapter = false)
    {
        public Method Baseline => Adapter ? AdapterFullPrefill : FullPrefill;
    }

    public static async Task RunAsync(TextWriter output, bool quick)
    {
        // Smaller than the engine benchmark's 110M model so that the 8-chunk run fits a shared 2-core machine;
        // at 4-8k tokens the layers' matmuls and attention still dominate every step. Two shapes of about the same
        // compute per token: the blend computes layer 0 and the check layer's K/V for every token, a fixed cost
        // that weighs 1/8 of a shallow model and 1/32 of one as deep as the 7-8B models CacheBlend reports on.
        var shallow = EngineBenchmark.Config with
        {
            HiddenSize = 512, IntermediateSize = 1376, NumHiddenLayers = 8, NumAttentionHeads = 8, NumKeyValueHeadsField = 8,
            MaxPositionEmbeddings = 8192, BosTokenId = 1,
        };
        var deep = shallow with { HiddenSize = 256, IntermediateSize = 688, NumHiddenLayers = 32, NumAttentionHeads = 4, NumKeyValueHeadsField = 4 };
        // The shallow shape with grouped-query attention, 4 query heads per KV head as in Llama 3, Mistral and Qwen2:
        // a quarter of the KV bytes to store, load and place per token for nearly the same compute.
        var shallowGqa = shallow with { NumKeyValueHeadsField = 2 };
        await RunModelAsync(output, quick, "hidden 512, 8 layers", shallow);
        await RunModelAsync(output, quick, "hidden 512, 8 layers, 2 KV heads (GQA)", shallowGqa);
        if (!quick)
        {
            await RunModelAsync(output, quick, "hidden 256, 32 layers", deep);
        }
    }

    private static async Task RunModelAsync(TextWriter output, bool quick, string shape, ModelConfig config)
    {
        var options = new EngineOptions { KvCacheBytes = 1536L << 20, MaxBatchedTokens = 8192, EnablePrefixCaching = true };
        using var engine = new LlmEngine(ModelLoader.CreateDummy(config, options), options);
        using var stop = new CancellationTokenSource();
        var loop = engine.RunAsync(stop.Token);
        using var redis = await RedisServer.StartAsync("--maxmemory", "1gb");
        await using var services = ChunkStoreServices(redis.ConnectionString);
        var store = services.GetRequiredService<RedisChunkStore>();
        var ingestor = services.GetRequiredService<ChunkIngestor>();
        var model = new ModelIdentity($"benchmark-dummy-{config.HiddenSize}x{config.NumHiddenLayers}", "benchmark-random-tokens", "float32");
        var tenant = TenantNamespace.Of("benchmark");

        var rng = new Random(5);
        int[] Random(int n) => [.. Enumerable.Range(0, n).Select(_ => rng.Next(3, config.VocabSize))];
        var chunks = Enumerable.Range(0, 8).Select(_ => Random(ChunkTokens)).ToArray();
        var clock = Stopwatch.StartNew();
        engine.Adapters.Add(RandomAdapter(config, rank: 16, seed: 9));
        var adapter = new ChunkAdapter(Adapter, "", "lora-benchmark-rank16");
        async Task<ChunkKey[]> IngestAsync(ChunkAdapter? under)
        {
            var keys = new ChunkKey[chunks.Length];
            for (int i = 0; i < chunks.Length; i++)
            {
                var (key, outcome) = await ingestor.StoreAsync(engine, model, tenant, chunks[i], under, CancellationToken.None);
                keys[i] = outcome is StoreOutcome.Stored ? key : throw new InvalidOperationException($"chunk {i} was not stored: {outcome}");
            }
            return keys;
        }
        var baseKeys = await IngestAsync(null);
        double ingestSeconds = clock.Elapsed.TotalSeconds;
        var adapterKeys = await IngestAsync(adapter);
        var inMemory = new InMemoryChunkKv[chunks.Length];
        for (int i = 0; i < chunks.Length; i++)
        {
            inMemory[i] = await Platform.Engine.Blending.ChunkKvComputer.ComputeAsync(engine, chunks[i], config.BosTokenId);
        }
        var context = new Context(engine, store, tenant, chunks, baseKeys, adapterKeys, inMemory);

        output.WriteLine($"## TTFT against full prefill and prefix caching: {shape} ({(quick ? "quick" : "full")} run)");
        output.WriteLine();
        output.WriteLine($"model: dummy Llama, {shape}, vocab 32000, 8192 positions, fp32, CPU; 8 chunks ingested into redis-server {RedisVersion(redis)} in {ingestSeconds:F1} s ({inMemory.Sum(k => k.Bytes) / (1 << 20)} MiB of KV), and again under a rank-16 adapter on every projection");
        output.WriteLine();
        output.WriteLine("| chunks | prompt tokens | method | TTFT ms: best (each run) | speed-up vs full prefill (best; adapter rows: under the adapter) | reused tokens |");
        output.WriteLine("| ---: | ---: | --- | ---: | ---: | ---: |");
        foreach (int k in quick ? new[] { 4 } : new[] { 4, 8 })
        {
            var question = Random(32);
            var times = Methods.ToDictionary(m => m, _ => new List<double>());
            var reused = new Dictionary<Method, int>();
            // Methods alternate within each repetition, so the shared machine's slow spells hit them all alike.
            for (int rep = 0; rep < (quick ? 3 : Repetitions); rep++)
            {
                foreach (var method in Methods)
                {
                    // A system prompt no earlier request had, so nothing but what the method reuses is cached.
                    var system = Random(32);
                    var (ms, cached) = await context.TtftAsync(method, system, [.. Enumerable.Range(0, k)], question);
                    times[method].Add(ms);
                    reused[method] = cached;
                }
            }
            int promptTokens = 1 + 32 + (k * ChunkTokens) + 32;
            foreach (var method in Methods)
            {
                double ms = times[method].Min();
                double fullMs = times[method.Baseline].Min();
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {k} | {promptTokens} | {method.Name} | {ms:F0} ({string.Join(", ", times[method].Select(t => t.ToString("F0", CultureInfo.InvariantCulture)))}) | {fullMs / ms:F2}x | {reused[method]} |"));
            }
        }
        var stats = engine.Stats().Blend;
        output.WriteLine();
        output.WriteLine($"blend counters: {stats.Lookups} lookups, {stats.Blended} blended, {stats.Fallbacks} fallbacks, {stats.TokensReused} tokens reused, {stats.TokensRecomputed} recomputed, {stats.BytesLoaded / (1 << 20)} MiB loaded");
        output.WriteLine();
        foreach (var kv in inMemory)
        {
            kv.Dispose();
        }
        await stop.CancelAsync();
        await loop;
    }

    private static ServiceProvider ChunkStoreServices(string connectionString)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:redis"] = connectionString })
            .Build();
        return new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddChunkStore()
            .BuildServiceProvider();
    }

    private static string RedisVersion(RedisServer redis) =>
        redis.Output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Contains("version=", StringComparison.Ordinal)) is { } line
            ? line[(line.IndexOf("version=", StringComparison.Ordinal) + 8)..].Split(',')[0]
            : "(version unknown)";

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

    private sealed record Context(
        LlmEngine Engine, RedisChunkStore Store, TenantNamespace Tenant, int[][] Chunks, ChunkKey[] Keys, ChunkKey[] AdapterKeys, InMemoryChunkKv[] InMemory)
    {
        private int _variant;

        /// <summary>Milliseconds from the request's arrival (before any chunk lookup) to its first token.</summary>
        public async Task<(double Ms, int Reused)> TtftAsync(Method method, int[] system, int[] order, int[] question)
        {
            var sampling = SamplingParams.Greedy(1) with { IgnoreEos = true };
            if (method == PrefixCaching)
            {
                // The warm-up: an earlier request with the same system prompt (its chunks, retrieved in another
                // order, would not extend the cached prefix).
                await FirstTokenAsync(new GenerationRequest($"warm-{_variant++}", [1, .. system], sampling));
            }
            var prompt = new List<int> { 1 };
            prompt.AddRange(system);
            var planned = new List<PlannedSegment> { new(0, prompt.Count) };
            var inMemory = new List<PromptSegment> { new(0, prompt.Count) };
            var clock = Stopwatch.StartNew();
            var lookup = method.Kv == KvFrom.Redis
                ? await Store.LookupAsync(Tenant, [.. order.Select(i => (method.Adapter ? AdapterKeys : Keys)[i])], CancellationToken.None)
                : null;
            for (int j = 0; j < order.Length; j++)
            {
                int i = order[j];
                planned.Add(new PlannedSegment(prompt.Count, Chunks[i].Length, lookup?.Found[j]));
                inMemory.Add(new PromptSegment(prompt.Count, Chunks[i].Length, InMemory[i]));
                prompt.AddRange(Chunks[i]);
            }
            planned.Add(new PlannedSegment(prompt.Count, question.Length));
            inMemory.Add(new PromptSegment(prompt.Count, question.Length));
            prompt.AddRange(question);
            BlendSpec? blend = method.Ratio switch
            {
                null => null,
                { } r when lookup is not null => ChunkBlendPlanner.Build(Store, prompt, planned, r)
                    ?? throw new InvalidOperationException($"no chunk was found in Redis ({lookup.FirstFailure ?? "not stored"})"),
                { } r => new BlendSpec(inMemory) { RecomputeRatio = r },
            };
            var request = new GenerationRequest($"ttft-{_variant++}", prompt, sampling) { Blend = blend, Adapter = method.Adapter ? Adapter : null };
            var final = await FirstTokenAsync(request);
            double ms = clock.Elapsed.TotalMilliseconds;
            if (blend is not null && final.Blend is { Blended: false } report)
            {
                throw new InvalidOperationException($"'{method.Name}' fell back to a full prefill: {report.Fallback}");
            }
            return (ms, final.Usage!.CachedPromptTokens);
        }

        /// <summary>Runs the request (one token) to its final event.</summary>
        private async Task<GenerationEvent> FirstTokenAsync(GenerationRequest request)
        {
            await foreach (var e in Engine.AddRequest(request).ReadAllAsync(CancellationToken.None))
            {
                if (e.IsFinal)
                {
                    return e;
                }
            }
            throw new InvalidOperationException($"request {request.RequestId} ended without a final event");
        }
    }
}
