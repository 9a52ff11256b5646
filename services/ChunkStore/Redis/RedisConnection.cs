using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Platform.ChunkStore.Hosting;
using StackExchange.Redis;

namespace Platform.ChunkStore.Redis;

/// <summary>
/// The process's one Redis multiplexer (<c>ConnectionStrings:redis</c>), connected on first use and without
/// failing when Redis is down (abortConnect=false): commands then fail fast and the callers fall back; and, for
/// the bulk reads of chunk KV, a <see cref="RedisRangeReader"/> to the same server.
/// </summary>
public sealed class RedisConnection : IDisposable
{
    private readonly Lazy<IConnectionMultiplexer>? _multiplexer;

    public RedisConnection(IConfiguration configuration, IOptions<ChunkStoreOptions> options)
        : this(configuration.GetConnectionString("redis"), options.Value)
    {
    }

    public RedisConnection(string? connectionString, ChunkStoreOptions options)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return;
        }
        var config = ConfigurationOptions.Parse(connectionString);
        config.AbortOnConnectFail = false;
        config.AsyncTimeout = (int)Math.Max(options.ReadTimeout.TotalMilliseconds, options.WriteTimeout.TotalMilliseconds);
        config.ConnectTimeout = Math.Min(config.ConnectTimeout, 5000);
        config.ClientName ??= "platform-chunkstore";
        _multiplexer = new Lazy<IConnectionMultiplexer>(() => ConnectionMultiplexer.Connect(config));
        if (options.DirectReads && RedisEndpoint.From(config) is { } endpoint)
        {
            RangeReader = new RedisRangeReader(endpoint, options.MaxDirectReads);
        }
    }

    /// <summary>False where no Redis is configured: RAG requests then run as full prefills.</summary>
    public bool IsConfigured => _multiplexer is not null;

    /// <summary>
    /// Reads value ranges over connections of its own; null where Redis is not configured, where
    /// <see cref="ChunkStoreOptions.DirectReads"/> is off, or where the connection string names several servers
    /// or a Sentinel service (the multiplexer's routing is needed there).
    /// </summary>
    public RedisRangeReader? RangeReader { get; }

    public IDatabase Database => (_multiplexer ?? throw new InvalidOperationException("ConnectionStrings:redis is not configured")).Value.GetDatabase();

    public IConnectionMultiplexer Multiplexer => (_multiplexer ?? throw new InvalidOperationException("ConnectionStrings:redis is not configured")).Value;

    public void Dispose()
    {
        RangeReader?.Dispose();
        if (_multiplexer is { IsValueCreated: true })
        {
            _multiplexer.Value.Dispose();
        }
    }
}
