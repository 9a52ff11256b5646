using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.ChunkStore.Format;
using Platform.ChunkStore.Hosting;
using Platform.ChunkStore.Keys;
using Platform.Engine.Blending;
using StackExchange.Redis;

namespace Platform.ChunkStore.Redis;

/// <summary>
/// Stored chunk KV in Redis: one string value per chunk under <c>ckv:{tenant}:{chunk id}</c> in the format of
/// <see cref="ChunkKvFormat"/>, read as a header probe (GETRANGE) and then one GETRANGE per layer. Writes are
/// SET NX with the TTL, so the same chunk is written once. Every failure to read is a
/// <see cref="ChunkKvUnavailableException"/> (down, timed out, truncated, corrupt) and counted.
/// </summary>
public sealed partial class RedisChunkStore(
    RedisConnection connection,
    IOptions<ChunkStoreOptions> options,
    ChunkStoreMetrics metrics,
    TimeProvider time,
    ILogger<RedisChunkStore> logger)
{
    private volatile bool _redirected;
    private long _usedMemory;
    private long _usedMemoryCheckedAt = long.MinValue;

    public bool IsConfigured => connection.IsConfigured;

    public ChunkStoreMetrics Metrics => metrics;

    internal RedisConnection Connection => connection;

    /// <summary>The chunk's header, or null when the tenant has no such chunk; throws when the store cannot answer.</summary>
    public async Task<StoredChunk?> FindAsync(TenantNamespace ns, ChunkKey key, CancellationToken cancellationToken)
    {
        string redisKey = ns.RedisKey(key);
        var probe = await ReadAsync("header", redisKey, 0, ChunkKvFormat.HeaderProbeBytes, cancellationToken).ConfigureAwait(false);
        try
        {
            if (probe.Length == 0)
            {
                return null;
            }
            int length = ChunkKvFormat.ReadHeaderLength(probe.Span, key.Id);
            if (length > probe.Length)
            {
                probe.Dispose();
                probe = await ReadAsync("header", redisKey, 0, length, cancellationToken).ConfigureAwait(false);
            }
            return new StoredChunk(ns, key, ChunkKvFormat.ReadHeader(probe.Span, key.Id));
        }
        catch (ChunkKvUnavailableException e)
        {
            metrics.RecordFailure("header", "corrupt");
            LogCorrupt(logger, redisKey, e.Message);
            throw;
        }
        finally
        {
            probe.Dispose();
        }
    }

    /// <summary>
    /// Looks up several chunks at once (concurrent commands pipeline on the one connection). A chunk that
    /// cannot be read counts as a miss; <see cref="ChunkLookup.Failures"/> says how many and why.
    /// </summary>
    public async Task<ChunkLookup> LookupAsync(TenantNamespace ns, IReadOnlyList<ChunkKey> keys, CancellationToken cancellationToken)
    {
        var found = new StoredChunk?[keys.Count];
        if (!connection.IsConfigured)
        {
            return new ChunkLookup(found, 0, null);
        }
        var tasks = keys.Select(k => FindAsync(ns, k, cancellationToken)).ToArray();
        int failures = 0;
        string? reason = null;
        for (int i = 0; i < tasks.Length; i++)
        {
            try
            {
                found[i] = await tasks[i].ConfigureAwait(false);
            }
            catch (ChunkKvUnavailableException e)
            {
                failures++;
                reason ??= e.Message;
            }
        }
        metrics.RecordLookups(keys.Count, found.Count(f => f is not null));
        return new ChunkLookup(found, failures, reason);
    }

    /// <summary>True when the tenant already has the chunk; false when not or when the store cannot say.</summary>
    public async Task<bool> ExistsAsync(TenantNamespace ns, ChunkKey key)
    {
        try
        {
            return await connection.Database.KeyExistsAsync(ns.RedisKey(key)).WaitAsync(options.Value.ReadTimeout).ConfigureAwait(false);
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            metrics.RecordFailure("exists", Reason(e));
            return false;
        }
    }

    /// <summary>Stores a chunk's value unless it is there already, too large, or the store is over its budget.</summary>
    public async Task<StoreOutcome> StoreAsync(TenantNamespace ns, ChunkKey key, byte[] value)
    {
        var o = options.Value;
        var outcome = StoreOutcome.Failed;
        try
        {
            if (value.LongLength > o.MaxChunkBytes)
            {
                outcome = StoreOutcome.TooLarge;
            }
            else if (o.MaxStoreBytes > 0 && await UsedMemoryAsync().ConfigureAwait(false) > o.MaxStoreBytes)
            {
                outcome = StoreOutcome.OverBudget;
            }
            else
            {
                bool written = await connection.Database.StringSetAsync(ns.RedisKey(key), value, o.Ttl, When.NotExists)
                    .WaitAsync(o.WriteTimeout).ConfigureAwait(false);
                outcome = written ? StoreOutcome.Stored : StoreOutcome.Existing;
            }
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            metrics.RecordFailure("store", Reason(e));
            LogStoreFailed(logger, ns.RedisKey(key), e.Message);
        }
        metrics.RecordStored(outcome.ToString().ToLowerInvariant(), outcome == StoreOutcome.Stored ? value.LongLength : 0);
        return outcome;
    }

    /// <summary>
    /// Bytes [start, start + length) of a value, fewer (or none) when the value is shorter (or gone), read directly
    /// (<see cref="RedisConnection.RangeReader"/>) or through the multiplexer; the caller disposes them.
    /// </summary>
    internal async Task<RentedBytes> ReadAsync(string operation, string redisKey, long start, int length, CancellationToken cancellationToken)
    {
        if (!connection.IsConfigured)
        {
            throw new ChunkKvUnavailableException("no chunk store is configured (ConnectionStrings:redis)");
        }
        try
        {
            var bytes = connection.RangeReader is { } reader && !_redirected
                ? await ReadDirectAsync(reader, redisKey, start, length, cancellationToken).ConfigureAwait(false)
                : await ReadThroughMultiplexerAsync(redisKey, start, length, cancellationToken).ConfigureAwait(false);
            metrics.RecordBytesLoaded(bytes.Length);
            return bytes;
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            metrics.RecordFailure(operation, Reason(e));
            throw new ChunkKvUnavailableException($"the chunk store could not read {redisKey} ({Reason(e)}): {e.Message}", e);
        }
    }

    private async Task<RentedBytes> ReadDirectAsync(RedisRangeReader reader, string redisKey, long start, int length, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.ReadTimeout);
        try
        {
            return await reader.ReadAsync(redisKey, start, length, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no reply within {options.Value.ReadTimeout.TotalMilliseconds:F0} ms", e);
        }
        catch (RespErrorException e) when (e.IsRedirect)
        {
            // A cluster: only the multiplexer knows where each key lives.
            _redirected = true;
            LogRedirected(logger, e.Message);
            return await ReadThroughMultiplexerAsync(redisKey, start, length, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<RentedBytes> ReadThroughMultiplexerAsync(string redisKey, long start, int length, CancellationToken cancellationToken)
    {
        var value = await connection.Database.StringGetRangeAsync(redisKey, start, start + length - 1)
            .WaitAsync(options.Value.ReadTimeout, cancellationToken).ConfigureAwait(false);
        return RentedBytes.Of((byte[]?)value ?? []);
    }

    internal void RecordCorrupt(string operation, string redisKey, string message)
    {
        metrics.RecordFailure(operation, "corrupt");
        LogCorrupt(logger, redisKey, message);
    }

    private async Task<long> UsedMemoryAsync()
    {
        long now = time.GetTimestamp();
        if (time.GetElapsedTime(Interlocked.Read(ref _usedMemoryCheckedAt), now) < TimeSpan.FromSeconds(2))
        {
            return Interlocked.Read(ref _usedMemory);
        }
        var result = await connection.Database.ExecuteAsync("MEMORY", "STATS").WaitAsync(options.Value.ReadTimeout).ConfigureAwait(false);
        var stats = result.ToDictionary();
        long used = stats.TryGetValue("total.allocated", out var total) ? (long)total : 0;
        Interlocked.Exchange(ref _usedMemory, used);
        Interlocked.Exchange(ref _usedMemoryCheckedAt, now);
        return used;
    }

    private static bool IsStoreFailure(Exception e) =>
        e is RedisException or TimeoutException or InvalidOperationException or IOException or SocketException or RespErrorException;

    private static string Reason(Exception e) => e switch
    {
        TimeoutException or RedisTimeoutException => "timeout",
        RedisConnectionException or IOException or SocketException => "down",
        _ => "error",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stored chunk {RedisKey} is unusable: {Reason}")]
    private static partial void LogCorrupt(ILogger logger, string redisKey, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis redirected a chunk read ({Redirect}): chunk values are read through the multiplexer from now on")]
    private static partial void LogRedirected(ILogger logger, string redirect);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storing chunk {RedisKey} failed: {Reason}")]
    private static partial void LogStoreFailed(ILogger logger, string redisKey, string reason);
}
