using System.Collections.Concurrent;
using System.Net.Sockets;

namespace Platform.ChunkStore.Redis;

/// <summary>
/// GETRANGE over connections of its own, each reply read from the socket straight into a pooled buffer: how the
/// blend reads chunk KV (megabytes per layer and chunk). Through the multiplexer the same bytes cost two to four
/// times the CPU (its pipe buffers, then a new large-object-heap array per reply, collected in gen 2), on the
/// cores that compute the prompt meanwhile. One command per connection at a time; concurrent reads take
/// concurrent connections (at most <c>maxReads</c>; more reads wait for one), kept for reuse. Every other
/// command (SET NX, EXISTS, MEMORY STATS) goes through the process's one multiplexer.
/// </summary>
public sealed class RedisRangeReader : IDisposable
{
    private readonly RedisEndpoint _endpoint;
    private readonly int _maxIdle;
    private readonly SemaphoreSlim _reads;
    private readonly ConcurrentQueue<RespConnection> _idle = new();
    private int _idleCount;
    private volatile bool _disposed;

    /// <param name="maxReads">Reads in flight at once (each on its own connection); a burst of lookups queues beyond it.</param>
    /// <param name="maxIdle">Connections kept open between reads.</param>
    internal RedisRangeReader(RedisEndpoint endpoint, int maxReads, int maxIdle = 16)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxReads, 1);
        _endpoint = endpoint;
        _reads = new SemaphoreSlim(maxReads, maxReads);
        _maxIdle = Math.Min(maxIdle, maxReads);
    }

    /// <summary>Connections open and waiting for the next read.</summary>
    public int IdleConnections => Volatile.Read(ref _idleCount);

    /// <summary>
    /// Bytes [start, start + length) of the value at <paramref name="key"/>, fewer (or none) when the value is
    /// shorter (or missing). Throws <see cref="IOException"/> or <see cref="SocketException"/> when Redis cannot be
    /// reached or drops the connection, <see cref="RespErrorException"/> on an error reply, and
    /// <see cref="OperationCanceledException"/> when cancelled (also while waiting for a free connection).
    /// </summary>
    public async Task<RentedBytes> ReadAsync(string key, long start, int length, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (length <= 0)
        {
            // GETRANGE key s s-1 would mean "to the end" for s = 0.
            return RentedBytes.Empty;
        }
        await _reads.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await ReadOnAConnectionAsync(key, start, length, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _reads.Release();
        }
    }

    private async Task<RentedBytes> ReadOnAConnectionAsync(string key, long start, int length, CancellationToken cancellationToken)
    {
        while (true)
        {
            bool reused = TryTakeIdle(out var connection);
            connection ??= await RespConnection.OpenAsync(_endpoint, cancellationToken).ConfigureAwait(false);
            try
            {
                var bytes = await connection.GetRangeAsync(key, start, start + length - 1, cancellationToken).ConfigureAwait(false);
                Release(connection);
                return bytes;
            }
            catch (Exception e) when (reused && e is IOException or SocketException && !cancellationToken.IsCancellationRequested)
            {
                // A kept connection the server has closed meanwhile (restart, idle timeout): GETRANGE reads
                // nothing, so it is asked again, on the next kept connection or a new one (which fails for real).
                connection.Dispose();
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }
    }

    public void Dispose()
    {
        _disposed = true;
        CloseIdle();
    }

    private bool TryTakeIdle(out RespConnection? connection)
    {
        if (_idle.TryDequeue(out connection))
        {
            Interlocked.Decrement(ref _idleCount);
            return true;
        }
        return false;
    }

    private void Release(RespConnection connection)
    {
        if (_disposed || Interlocked.Increment(ref _idleCount) > _maxIdle)
        {
            Interlocked.Decrement(ref _idleCount);
            connection.Dispose();
            return;
        }
        _idle.Enqueue(connection);
        if (_disposed)
        {
            // Disposed while this read ran: its connection must not stay behind.
            CloseIdle();
        }
    }

    private void CloseIdle()
    {
        while (TryTakeIdle(out var connection))
        {
            connection!.Dispose();
        }
    }
}
