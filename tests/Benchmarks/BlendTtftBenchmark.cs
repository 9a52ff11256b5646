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
/// and, for reference, r = 0.15 with the chunks' KV already in process memory. Dummy Llama of 41M parameters
/// (hidden 512, 8 layers, vocab 32000, 8192 positions), fp32 on the CPU.
/// </summary>
public static class BlendTtftBenchmark
{
    private const int ChunkTokens = 512;
    private const int Repetitions = 2;
    private static readonly Method FullPrefill = new("full prefill", null, KvFrom.None);
    private static readonly Method PrefixCaching = new("prefix caching", null, KvFrom.None);
    private static readonly Method[] Methods =
    [
        FullPrefill, PrefixCaching,
        new("blend r = 0.15, Redis", 0.15, KvFrom.Redis), new("blend r = 0 (full reuse), Redis", 0, KvFrom.Redis),
        new("blend r = 0.15, in memory", 0.15, KvFrom.Memory),
    ];

    private enum KvFrom { None, Redis, Memory }

    /// <summary>How a request's prompt KV is built: its row name, the blend's recompute ratio (null: no blend), where chunk KV comes from.</summary>
    private sealed record Method(string Name, double? Ratio, KvFrom Kv);

    public static async Task RunAsync(TextWriter output, bool quick)
    {
        // Smaller than the engine benchmark's 110M model so that the 8-chunk run fits a shared 2-core machine;
        // at 4-8k tokens the layers' matmuls and attention still dominate every step.
        var config = EngineBenchmark.Config with
        {
            HiddenSize = 512, IntermediateSize = 1376, NumHiddenLayers = 8, NumAttentionHeads = 8, NumKeyValueHeadsField = 8,
            MaxPositionEmbeddings = 8192, BosTokenId = 1,
        };
        var options = new EngineOptions { KvCacheBytes = 1536L << 20, MaxBatchedTokens = 8192, EnablePrefixCaching = true };
        using var engine = new LlmEngine(ModelLoader.CreateDummy(config, options), options);
        using var stop = new CancellationTokenSource();
        var loop = engine.RunAsync(stop.Token);
        using var redis = await RedisServer.StartAsync("--maxmemory", "1gb");
        await using var services = ChunkStoreServices(redis.ConnectionString);
        var store = services.GetRequiredService<RedisChunkStore>();
        var ingestor = services.GetRequiredService<ChunkIngestor>();
        var model = new ModelIdentity("benchmark-dummy-41m", "benchmark-random-tokens", "float32");
        var tenant = TenantNamespace.Of("benchmark");

        var rng = new Random(5);
        int[] Random(int n) => [.. Enumerable.Range(0, n).Select(_ => rng.Next(3, config.VocabSize))];
        var chunks = Enumerable.Range(0, 8).Select(_ => Random(ChunkTokens)).ToArray();
        var clock = Stopwatch.StartNew();
        var keys = new ChunkKey[chunks.Length];
        for (int i = 0; i < chunks.Length; i++)
        {
            var (key, outcome) = await ingestor.StoreAsync(engine, model, tenant, chunks[i], CancellationToken.None);
            keys[i] = outcome is StoreOutcome.Stored ? key : throw new InvalidOperationException($"chunk {i} was not stored: {outcome}");
        }
        double ingestSeconds = clock.Elapsed.TotalSeconds;
        var inMemory = new InMemoryChunkKv[chunks.Length];
        for (int i = 0; i < chunks.Length; i++)
        {
            inMemory[i] = await Platform.Engine.Blending.ChunkKvComputer.ComputeAsync(engine, chunks[i], config.BosTokenId);
        }
        var context = new Context(engine, store, tenant, chunks, keys, inMemory);

        output.WriteLine($"## TTFT against full prefill and prefix caching ({(quick ? "quick" : "full")} run)");
        output.WriteLine();
        output.WriteLine($"model: dummy Llama, hidden 512, 8 layers, vocab 32000, 8192 positions, fp32, CPU; 8 chunks ingested into redis-server {RedisVersion(redis)} in {ingestSeconds:F1} s ({inMemory.Sum(k => k.Bytes) / (1 << 20)} MiB of KV)");
        output.WriteLine();
        output.WriteLine("| chunks | prompt tokens | method | TTFT ms: best (each run) | speed-up vs full (best) | reused tokens |");
        output.WriteLine("| ---: | ---: | --- | ---: | ---: | ---: |");
        foreach (int k in quick ? new[] { 4 } : new[] { 4, 8 })
        {
            var question = Random(32);
            var times = Methods.ToDictionary(m => m, _ => new List<double>());
            var reused = new Dictionary<Method, int>();
            // Methods alternate within each repetition, so the shared machine's slow spells hit them all alike.
            for (int rep = 0; rep < Repetitions; rep++)
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
            double fullMs = times[FullPrefill].Min();
            foreach (var method in Methods)
            {
                double ms = times[method].Min();
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {k} | {promptTokens} | {method.Name} | {ms:F0} ({string.Join(", ", times[method].Select(t => t.ToString("F0", CultureInfo.InvariantCulture)))}) | {fullMs / ms:F2}x | {reused[method]} |"));
            }
        }
        var stats = engine.Stats().Blend;
        output.WriteLine();
        output.WriteLine($"blend counters: {stats.Lookups} lookups, {stats.Blended} blended, {stats.Fallbacks} fallbacks, {stats.TokensReused} tokens reused, {stats.TokensRecomputed} recomputed, {stats.BytesLoaded / (1 << 20)} MiB loaded");
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

    private sealed record Context(
        LlmEngine Engine, RedisChunkStore Store, TenantNamespace Tenant, int[][] Chunks, ChunkKey[] Keys, InMemoryChunkKv[] InMemory)
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
                ? await Store.LookupAsync(Tenant, [.. order.Select(i => Keys[i])], CancellationToken.None)
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
            var request = new GenerationRequest($"ttft-{_variant++}", prompt, sampling) { Blend = blend };
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
