using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Platform.Gateway.Bus;
using Platform.RequestBus.Redis;
using StackExchange.Redis;

namespace Platform.RequestBus.Tests;

/// <summary>
/// The platform across real processes on loopback with a Redis Streams bus: a real redis-server, one Decode
/// process, prefill worker processes consuming the bus, and a Split-mode Gateway dispatching through it. The
/// test's own <see cref="Bus"/> reads the same streams (lag, dead letters, usage events).
/// </summary>
public sealed class BusProcesses : IAsyncLifetime
{
    private readonly int _workers;
    private readonly string[] _workerSettings;
    private readonly Dictionary<string, string?> _gatewaySettings;
    private IConnectionMultiplexer? _connection;

    public BusProcesses(int workers, string[] workerSettings, Dictionary<string, string?> gatewaySettings)
    {
        _workers = workers;
        _workerSettings = workerSettings;
        _gatewaySettings = gatewaySettings;
    }

    public string Prefix { get; } = $"bus{Guid.NewGuid():N}";

    public RedisServer Redis { get; private set; } = null!;

    public ServiceProcess Decode { get; private set; } = null!;

    public List<ServiceProcess> Workers { get; } = [];

    public BusGateway Gateway { get; private set; } = null!;

    public IRequestBus Bus { get; private set; } = null!;

    public bool Started { get; private set; }

    /// <summary>Skips the calling test when the checkpoint or redis-server is missing.</summary>
    public void Require()
    {
        TestModels.RequireStories260K();
        Skip.If(RedisServer.FindBinary() is null, "redis-server is not installed: run infra/install-packages.sh (the README's test command does)");
        Assert.True(Started, "the processes did not start");
    }

    public string[] BusArguments() =>
    [
        "--Bus:Kind", "RedisStreams", "--ConnectionStrings:redis", Redis.ConnectionString, "--Bus:Prefix", Prefix,
        "--Bus:RedeliverAfter", "00:00:02", "--Bus:PollInterval", "00:00:00.100", "--Bus:MaxDeliveries", "2",
    ];

    public async Task InitializeAsync()
    {
        if (TestModels.Stories260K is not { } model || RedisServer.FindBinary() is null)
        {
            return;
        }
        Redis = await RedisServer.StartAsync();
        Decode = await ServiceProcess.StartAsync("Decode", model, "--Decode:KvArrivalTimeout", "00:00:45");
        var workers = Enumerable.Range(0, _workers)
            .Select(i => ServiceProcess.StartAsync("Prefill", model, [.. BusArguments(), "--Prefill:Bus:ConsumerName", $"worker-{i}", .. _workerSettings]))
            .ToList();
        foreach (var worker in workers)
        {
            Workers.Add(await worker);
        }
        var settings = new Dictionary<string, string?>(_gatewaySettings)
        {
            ["Bus:Kind"] = "RedisStreams",
            ["ConnectionStrings:redis"] = Redis.ConnectionString,
            ["Bus:Prefix"] = Prefix,
            ["Gateway:Bus:LagPollInterval"] = TimeSpan.FromMilliseconds(50).ToString("c", CultureInfo.InvariantCulture),
        };
        Gateway = await BusGateway.StartAsync(model, Workers, Decode, settings);
        _connection = await ConnectionMultiplexer.ConnectAsync(Redis.ConnectionString);
        Bus = new RedisStreamsRequestBus(_connection, new BusOptions { Kind = BusKind.RedisStreams, Prefix = Prefix }, TimeProvider.System);
        Started = true;
    }

    public async Task DisposeAsync()
    {
        if (Gateway is not null)
        {
            await Gateway.DisposeAsync();
        }
        foreach (var worker in Workers)
        {
            try
            {
                worker.Resume();
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
            worker.Dispose();
        }
        Decode?.Dispose();
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
        Redis?.Dispose();
    }

    /// <summary>
    /// Waits until the lag the Gateway last polled (what it admits on, see <see cref="BusLagMonitor"/>)
    /// is <paramref name="expected"/>.
    /// </summary>
    public async Task WaitForGatewayLagAsync(Func<long, bool> expected, TimeSpan timeout)
    {
        var monitor = Gateway.Services.GetRequiredService<BusLagMonitor>();
        using var cts = new CancellationTokenSource(timeout);
        while (!expected(monitor.Current))
        {
            Assert.False(cts.IsCancellationRequested, $"the Gateway's polled bus lag stayed at {monitor.Current}");
            await Task.Delay(20);
        }
    }

    /// <summary>Waits until the bus's lag is <paramref name="expected"/>.</summary>
    public async Task WaitForLagAsync(Func<long, bool> expected, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        long lag = await Bus.GetLagAsync();
        while (!expected(lag))
        {
            Assert.False(cts.IsCancellationRequested, $"the bus lag stayed at {lag}");
            await Task.Delay(50);
            lag = await Bus.GetLagAsync();
        }
    }
}
