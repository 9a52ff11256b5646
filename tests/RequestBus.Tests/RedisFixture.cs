using StackExchange.Redis;

namespace Platform.RequestBus.Tests;

/// <summary>One real redis-server and one multiplexer for a test class; null when redis-server is not installed.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    public RedisServer? Server { get; private set; }

    public IConnectionMultiplexer? Connection { get; private set; }

    public async Task InitializeAsync()
    {
        if (RedisServer.FindBinary() is null)
        {
            return;
        }
        Server = await RedisServer.StartAsync();
        Connection = await ConnectionMultiplexer.ConnectAsync(Server.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (Connection is not null)
        {
            await Connection.DisposeAsync();
        }
        Server?.Dispose();
    }

    public IConnectionMultiplexer Require()
    {
        Skip.If(Connection is null, "redis-server is not installed: run infra/install-packages.sh (the README's test command does)");
        return Connection!;
    }
}
