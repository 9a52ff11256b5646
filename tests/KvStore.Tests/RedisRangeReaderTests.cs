using Platform.ChunkStore.Hosting;
using Platform.ChunkStore.Keys;
using Platform.ChunkStore.Redis;
using Platform.Engine.Blending;
using StackExchange.Redis;

namespace Platform.KvStore.Tests;

/// <summary>The chunk store's own GETRANGE connections against a real redis-server, checked against the multiplexer's reads.</summary>
public sealed class RedisRangeReaderTests
{
    private static RedisConnection Connect(string connectionString, bool directReads = true, int maxReads = 32) =>
        new(connectionString, new ChunkStoreOptions { DirectReads = directReads, MaxDirectReads = maxReads });

    /// <summary>A connection to <paramref name="redis"/> after storing "value" at "v".</summary>
    private static async Task<RedisConnection> ConnectWithValueAsync(RedisServer redis)
    {
        var connection = Connect(redis.ConnectionString);
        await connection.Database.StringSetAsync("v", "value");
        return connection;
    }

    private static async Task AssertReadsValueAsync(RedisRangeReader reader)
    {
        using var read = await reader.ReadAsync("v", 0, 5, CancellationToken.None);
        Assert.Equal("value"u8.ToArray(), read.Span.ToArray());
    }

    [SkippableFact]
    public async Task ReadsTheSameBytesAsTheMultiplexer()
    {
        using var redis = await RedisServer.StartAsync();
        using var connection = Connect(redis.ConnectionString);
        var value = new byte[(3 << 20) + 17];
        new Random(3).NextBytes(value);
        var db = connection.Database;
        await db.StringSetAsync("v", value);
        var reader = connection.RangeReader!;
        // Within the first read of a reply, across it, megabytes, the whole value, past its end, from past its end.
        (long Start, int Length)[] ranges = [(0, 10), (5, 1500), (100, 2 << 20), (0, value.Length), (value.Length - 9, 100), (value.Length + 5, 10)];
        foreach (var (start, length) in ranges)
        {
            using var read = await reader.ReadAsync("v", start, length, CancellationToken.None);
            byte[] expected = (byte[])(await db.StringGetRangeAsync("v", start, start + length - 1))!;
            Assert.Equal(expected, read.Span.ToArray());
        }
        using var missing = await reader.ReadAsync("no such key", 0, 100, CancellationToken.None);
        Assert.Equal(0, missing.Length);
        using var none = await reader.ReadAsync("v", 0, 0, CancellationToken.None);
        Assert.Equal(0, none.Length);
    }

    [SkippableFact]
    public async Task ConcurrentReadsTakeConcurrentConnectionsAndKeepThem()
    {
        using var redis = await RedisServer.StartAsync();
        using var connection = Connect(redis.ConnectionString);
        var value = new byte[8 << 20];
        new Random(4).NextBytes(value);
        await connection.Database.StringSetAsync("v", value);
        var reader = connection.RangeReader!;
        for (int round = 0; round < 3; round++)
        {
            var reads = Enumerable.Range(0, 8).Select(i => reader.ReadAsync("v", (long)i << 20, 1 << 20, CancellationToken.None)).ToArray();
            for (int i = 0; i < reads.Length; i++)
            {
                using var read = await reads[i];
                Assert.True(value.AsSpan(i << 20, 1 << 20).SequenceEqual(read.Span), $"read {i} of round {round}");
            }
            // Kept, not opened anew for every round.
            Assert.InRange(reader.IdleConnections, 1, 8);
        }
    }

    [SkippableFact]
    public async Task ReadsBeyondTheLimitWaitForAConnection()
    {
        using var redis = await RedisServer.StartAsync();
        using var connection = Connect(redis.ConnectionString, maxReads: 2);
        var value = new byte[1 << 20];
        new Random(5).NextBytes(value);
        await connection.Database.StringSetAsync("v", value);
        var reader = connection.RangeReader!;
        using var admin = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
        var server = admin.GetServers()[0];
        async Task<long> ConnectionsReceivedAsync() =>
            long.Parse((await server.InfoAsync("stats")).SelectMany(g => g).Single(p => p.Key == "total_connections_received").Value);
        long before = await ConnectionsReceivedAsync();
        var reads = Enumerable.Range(0, 12).Select(i => reader.ReadAsync("v", i * 1000, 50_000, CancellationToken.None)).ToArray();
        for (int i = 0; i < reads.Length; i++)
        {
            using var read = await reads[i];
            Assert.True(value.AsSpan(i * 1000, 50_000).SequenceEqual(read.Span), $"read {i}");
        }
        // Twelve reads at once opened two connections and took turns on them.
        Assert.InRange(await ConnectionsReceivedAsync() - before, 1, 2);
        Assert.InRange(reader.IdleConnections, 1, 2);
    }

    [SkippableFact]
    public async Task AuthenticatesAndSelectsTheConfiguredDatabase()
    {
        using var redis = await RedisServer.StartAsync("--requirepass", "s3cret");
        string connectionString = $"127.0.0.1:{redis.Port},password=s3cret,defaultDatabase=3,abortConnect=false";
        using var connection = Connect(connectionString);
        await connection.Database.StringSetAsync("in-db-3", "three");
        using var read = await connection.RangeReader!.ReadAsync("in-db-3", 0, 100, CancellationToken.None);
        Assert.Equal("three"u8.ToArray(), read.Span.ToArray());

        using var wrong = Connect($"127.0.0.1:{redis.Port},password=wrong,abortConnect=false");
        await Assert.ThrowsAsync<RespErrorException>(() => wrong.RangeReader!.ReadAsync("in-db-3", 0, 100, CancellationToken.None));
    }

    [SkippableFact]
    public async Task ReadsWorkWhereRedisOffersNoClientCommand()
    {
        // As behind some proxies and managed services: naming the connection fails, reading does not.
        using var redis = await RedisServer.StartAsync("--rename-command", "CLIENT", "");
        using var connection = await ConnectWithValueAsync(redis);
        await AssertReadsValueAsync(connection.RangeReader!);
    }

    [SkippableFact]
    public async Task AKeptConnectionTheServerClosedIsReplaced()
    {
        using var redis = await RedisServer.StartAsync();
        using var connection = await ConnectWithValueAsync(redis);
        var reader = connection.RangeReader!;
        await AssertReadsValueAsync(reader);
        Assert.Equal(1, reader.IdleConnections);
        using var admin = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
        // Closes every normal client but the admin's own, the reader's kept connection among them.
        await admin.GetDatabase().ExecuteAsync("CLIENT", "KILL", "TYPE", "normal");
        await AssertReadsValueAsync(reader);
    }

    [SkippableFact]
    public async Task AnErrorReplyFailsTheReadAndTheNextReadWorks()
    {
        using var redis = await RedisServer.StartAsync();
        using var connection = await ConnectWithValueAsync(redis);
        await connection.Database.ListRightPushAsync("a list", "x");
        var reader = connection.RangeReader!;
        var error = await Assert.ThrowsAsync<RespErrorException>(() => reader.ReadAsync("a list", 0, 5, CancellationToken.None));
        Assert.StartsWith("WRONGTYPE", error.Message, StringComparison.Ordinal);
        Assert.False(error.IsRedirect);
        await AssertReadsValueAsync(reader);
    }

    [SkippableFact]
    public async Task TheStoreReadsChunksDirectlyUnlessToldOtherwise()
    {
        using var redis = await RedisServer.StartAsync();
        foreach (bool direct in new[] { true, false })
        {
            var store = RedisChunkStoreTests.Store(redis.ConnectionString, directReads: direct);
            var (value, payloads) = ChunkKvFormatTests.Sample(layers: 3, tokens: 5);
            var key = ChunkKey.Compute(new ModelIdentity("model", "tokenizer", "float32"), [7, 8, 9, 10, 11]);
            var ns = TenantNamespace.Of(direct ? "direct" : "multiplexer");
            Assert.Equal(StoreOutcome.Stored, await store.StoreAsync(ns, key, value));
            var source = new RedisChunkKvSource(store, (await store.FindAsync(ns, key, CancellationToken.None))!);
            for (int l = 0; l < 3; l++)
            {
                using var layer = await source.LoadLayerAsync(l, CancellationToken.None);
                Assert.True(layer.TryGetBytes(out var k, out var v));
                Assert.Equal(payloads[l], k.ToArray().Concat(v.ToArray()).ToArray());
            }
            Assert.Equal(direct, store.Connection.RangeReader is { IdleConnections: > 0 });
        }
    }

    [SkippableFact]
    public async Task AClusterRedirectSendsChunkReadsThroughTheMultiplexer()
    {
        // Two cluster nodes with half of the hash slots each; the store is configured with the first one only.
        var dir = Directory.CreateTempSubdirectory("redis-cluster-");
        try
        {
            // Explicit bus ports: the default (port + 10000) can be past 65535.
            int busA = ServiceProcess.FreePort(), busB = ServiceProcess.FreePort();
            using var a = await RedisServer.StartAsync(
                "--cluster-enabled", "yes", "--cluster-config-file", Path.Combine(dir.FullName, "a.conf"), "--cluster-port", busA.ToString());
            using var b = await RedisServer.StartAsync(
                "--cluster-enabled", "yes", "--cluster-config-file", Path.Combine(dir.FullName, "b.conf"), "--cluster-port", busB.ToString());
            await FormClusterAsync(a, b, busB);
            var store = RedisChunkStoreTests.Store(a.ConnectionString);
            var (value, payloads) = ChunkKvFormatTests.Sample(layers: 2, tokens: 4);
            var key = ChunkKey.Compute(new ModelIdentity("model", "tokenizer", "float32"), [1, 2, 3, 4]);
            // A tenant whose key hashes to the second node's slots: the first node answers the direct read with MOVED.
            var ns = Enumerable.Range(0, 100).Select(i => TenantNamespace.Of($"t{i}"))
                .First(n => store.Connection.Multiplexer.HashSlot(n.RedisKey(key)) >= 8192);
            Assert.Equal(StoreOutcome.Stored, await store.StoreAsync(ns, key, value));
            var found = await store.FindAsync(ns, key, CancellationToken.None);
            Assert.NotNull(found);
            using var layer = await new RedisChunkKvSource(store, found).LoadLayerAsync(1, CancellationToken.None);
            Assert.True(layer.TryGetBytes(out var k, out var v));
            Assert.Equal(payloads[1], k.ToArray().Concat(v.ToArray()).ToArray());
            Assert.Equal(0, store.Connection.RangeReader!.IdleConnections);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static async Task FormClusterAsync(RedisServer a, RedisServer b, int busB)
    {
        foreach (var (node, first, last) in new[] { (a, 0, 8191), (b, 8192, 16383) })
        {
            using var admin = await ConnectionMultiplexer.ConnectAsync(node.ConnectionString + ",allowAdmin=true");
            await admin.GetServers()[0].ExecuteAsync("CLUSTER", "ADDSLOTSRANGE", first, last);
        }
        using (var admin = await ConnectionMultiplexer.ConnectAsync(a.ConnectionString + ",allowAdmin=true"))
        {
            await admin.GetServers()[0].ExecuteAsync("CLUSTER", "MEET", "127.0.0.1", b.Port, busB);
        }
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        foreach (var node in new[] { a, b })
        {
            using var admin = await ConnectionMultiplexer.ConnectAsync(node.ConnectionString + ",allowAdmin=true");
            while (!((string?)await admin.GetServers()[0].ExecuteAsync("CLUSTER", "INFO"))!.Contains("cluster_state:ok", StringComparison.Ordinal))
            {
                Assert.True(DateTime.UtcNow < deadline, "the two-node cluster did not form");
                await Task.Delay(100);
            }
        }
    }

    [Fact]
    public void ReadsGoThroughTheMultiplexerWhereItMustRoute()
    {
        using var one = Connect("127.0.0.1:1,abortConnect=false");
        Assert.NotNull(one.RangeReader);
        using var several = Connect("127.0.0.1:1,127.0.0.1:2,abortConnect=false");
        Assert.Null(several.RangeReader);
        using var sentinel = Connect("127.0.0.1:26379,serviceName=mymaster,abortConnect=false");
        Assert.Null(sentinel.RangeReader);
        using var off = Connect("127.0.0.1:1,abortConnect=false", directReads: false);
        Assert.Null(off.RangeReader);
    }

    [Fact]
    public void ALayerGivesItsPooledBytesBackOnce()
    {
        var bytes = RentedBytes.Rent(2 * 4 * 6);
        int returned = 0;
        var owner = new Owner(() => { returned++; bytes.Dispose(); });
        var layer = ChunkKvLayer.FromBytes(bytes.Memory[..24], bytes.Memory[24..], TorchSharp.torch.ScalarType.Float32, [2, 1, 3], owner);
        layer.Dispose();
        layer.Dispose();
        Assert.Equal(1, returned);
        Assert.Throws<ObjectDisposedException>(() => bytes.Span.Length);
    }

    private sealed class Owner(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}
