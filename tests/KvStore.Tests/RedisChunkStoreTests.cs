using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.ChunkStore.Blending;
using Platform.ChunkStore.Format;
using Platform.ChunkStore.Hosting;
using Platform.ChunkStore.Keys;
using Platform.ChunkStore.Redis;
using Platform.Engine.Blending;
using StackExchange.Redis;

namespace Platform.KvStore.Tests;

/// <summary>The store against a real redis-server: layer-by-layer reads, corruption, outages, tenants, idempotent writes.</summary>
public sealed class RedisChunkStoreTests
{
    private static readonly ModelIdentity Model = new("model", "tokenizer", "float32");

    internal static RedisChunkStore Store(string connectionString, TimeSpan? readTimeout = null, bool directReads = true)
    {
        var options = new ChunkStoreOptions
        {
            ReadTimeout = readTimeout ?? TimeSpan.FromSeconds(1), WriteTimeout = TimeSpan.FromSeconds(2), DirectReads = directReads,
        };
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        return new RedisChunkStore(new RedisConnection(connectionString, options), Options.Create(options), new ChunkStoreMetrics(meters),
            TimeProvider.System, NullLogger<RedisChunkStore>.Instance);
    }

    private static async Task<(RedisChunkStore Store, ChunkKey Key, byte[] Value, byte[][] Payloads)> StoredSampleAsync(RedisServer redis, string tenant = "alpha")
    {
        var store = Store(redis.ConnectionString);
        var (value, payloads) = ChunkKvFormatTests.Sample(layers: 4, tokens: 6);
        var key = ChunkKey.Compute(Model, [100, 101, 102, 103, 104, 105]);
        Assert.Equal(StoreOutcome.Stored, await store.StoreAsync(TenantNamespace.Of(tenant), key, value));
        return (store, key, value, payloads);
    }

    [SkippableFact]
    public async Task AStoredChunkLoadsLayerByLayerAsWritten()
    {
        using var redis = await RedisServer.StartAsync();
        var (store, key, _, payloads) = await StoredSampleAsync(redis);
        var found = await store.FindAsync(TenantNamespace.Of("alpha"), key, CancellationToken.None);
        Assert.NotNull(found);
        var source = new RedisChunkKvSource(store, found);
        Assert.Equal((6, 1), (source.TokenCount, source.FirstPosition));
        for (int l = 3; l >= 0; l--)
        {
            using var layer = await source.LoadLayerAsync(l, CancellationToken.None);
            Assert.Equal(payloads[l], layer.Keys.bytes.ToArray().Concat(layer.Values.bytes.ToArray()).ToArray());
        }
    }

    [SkippableFact]
    public async Task StoringTheSameChunkTwiceWritesItOnce()
    {
        using var redis = await RedisServer.StartAsync();
        var (store, key, value, _) = await StoredSampleAsync(redis);
        Assert.Equal(StoreOutcome.Existing, await store.StoreAsync(TenantNamespace.Of("alpha"), key, value));
        Assert.True(await store.ExistsAsync(TenantNamespace.Of("alpha"), key));
    }

    [SkippableFact]
    public async Task AnotherTenantFindsNothing()
    {
        using var redis = await RedisServer.StartAsync();
        var (store, key, _, _) = await StoredSampleAsync(redis, "alpha");
        Assert.Null(await store.FindAsync(TenantNamespace.Of("beta"), key, CancellationToken.None));
        var lookup = await store.LookupAsync(TenantNamespace.Of("beta"), [key], CancellationToken.None);
        Assert.Equal((0, 0), (lookup.Hits, lookup.Failures));
        Assert.False(await store.ExistsAsync(TenantNamespace.Of("beta"), key));
    }

    [SkippableFact]
    public async Task ATruncatedOrCorruptedValueIsUnavailableNotWrong()
    {
        using var redis = await RedisServer.StartAsync();
        var (store, key, value, _) = await StoredSampleAsync(redis);
        var ns = TenantNamespace.Of("alpha");
        var found = (await store.FindAsync(ns, key, CancellationToken.None))!;
        var source = new RedisChunkKvSource(store, found);
        using var admin = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var db = admin.GetDatabase();

        // A flipped byte inside layer 2: that layer fails its checksum, the others still load.
        var entry = found.Header.Layers[2];
        await db.StringSetRangeAsync(ns.RedisKey(key), entry.Offset + 5, new byte[] { (byte)(value[entry.Offset + 5] ^ 0xFF) });
        await Assert.ThrowsAsync<ChunkKvUnavailableException>(() => source.LoadLayerAsync(2, CancellationToken.None));
        (await source.LoadLayerAsync(1, CancellationToken.None)).Dispose();

        // Truncated to the middle of layer 1 (a replaced or partly written value): later layers are unavailable.
        await db.StringSetAsync(ns.RedisKey(key), value.AsMemory(0, (int)found.Header.Layers[1].Offset + 10).ToArray());
        await Assert.ThrowsAsync<ChunkKvUnavailableException>(() => source.LoadLayerAsync(1, CancellationToken.None));
        await Assert.ThrowsAsync<ChunkKvUnavailableException>(() => source.LoadLayerAsync(3, CancellationToken.None));

        // A corrupted header: the lookup reports a failure, not a hit.
        var broken = (byte[])value.Clone();
        broken[40] ^= 0x01;
        await db.StringSetAsync(ns.RedisKey(key), broken);
        await Assert.ThrowsAsync<ChunkKvUnavailableException>(() => store.FindAsync(ns, key, CancellationToken.None));
        var lookup = await store.LookupAsync(ns, [key], CancellationToken.None);
        Assert.Equal((0, 1), (lookup.Hits, lookup.Failures));
    }

    [SkippableFact]
    public async Task RedisKilledAfterTheLookupMakesLayerLoadsFailFast()
    {
        using var redis = await RedisServer.StartAsync();
        var (store, key, _, _) = await StoredSampleAsync(redis);
        var found = (await store.FindAsync(TenantNamespace.Of("alpha"), key, CancellationToken.None))!;
        var source = new RedisChunkKvSource(store, found);
        redis.Kill();
        var started = DateTime.UtcNow;
        await Assert.ThrowsAsync<ChunkKvUnavailableException>(() => source.LoadLayerAsync(0, CancellationToken.None));
        var lookup = await store.LookupAsync(TenantNamespace.Of("alpha"), [key], CancellationToken.None);
        Assert.Equal((0, 1), (lookup.Hits, lookup.Failures));
        Assert.Equal(StoreOutcome.Failed, await store.StoreAsync(TenantNamespace.Of("alpha"), ChunkKey.Compute(Model, [7]), [1, 2, 3]));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30), "failures must not hang");
    }

    [SkippableFact]
    public async Task ASlowRedisTimesOutAsUnavailable()
    {
        using var redis = await RedisServer.StartAsync();
        var (_, key, _, _) = await StoredSampleAsync(redis);
        var store = Store(redis.ConnectionString, TimeSpan.FromMilliseconds(300));
        var found = (await store.FindAsync(TenantNamespace.Of("alpha"), key, CancellationToken.None))!;
        using var admin = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
        // CLIENT PAUSE holds every client's commands for 2 s: Redis answers, but too late.
        await admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "2000", "ALL");
        var e = await Assert.ThrowsAsync<ChunkKvUnavailableException>(() => new RedisChunkKvSource(store, found).LoadLayerAsync(0, CancellationToken.None));
        Assert.Contains("timeout", e.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task TheBlendPlannerUsesStoredChunksOnlyWhereTheirTokensAreInThePrompt()
    {
        using var redis = await RedisServer.StartAsync();
        var (store, key, _, _) = await StoredSampleAsync(redis);
        var found = (await store.FindAsync(TenantNamespace.Of("alpha"), key, CancellationToken.None))!;
        int[] prompt = [1, 100, 101, 102, 103, 104, 105, 9, 100, 101, 102, 103, 104, 105, 8];
        var blend = ChunkBlendPlanner.Build(store, prompt,
            [new PlannedSegment(0, 1), new PlannedSegment(1, 6, found), new PlannedSegment(7, 1), new PlannedSegment(8, 6, found), new PlannedSegment(14, 1)], 1.0);
        Assert.NotNull(blend);
        Assert.Equal(1.0, blend.RecomputeRatio);
        Assert.Equal([(0, 1, false), (1, 6, true), (7, 1, false), (8, 6, true), (14, 1, false)],
            blend.Segments.Select(s => (s.Start, s.Length, s.Cached is not null)));
        Assert.Equal(12, ChunkBlendPlanner.CachedTokens(blend));
        // The same stored entry in another place: tokens that differ are never covered by it.
        Assert.Null(ChunkBlendPlanner.Build(store, [1, 5, 5, 5, 5, 5, 5], [new PlannedSegment(0, 1), new PlannedSegment(1, 6, found)], 0.15));
        Assert.Throws<ArgumentException>(() => ChunkBlendPlanner.Build(store, prompt, [new PlannedSegment(0, 3)], 0.15));
    }
}
