using System.Globalization;

namespace Platform.Gateway.Tests;

/// <summary>
/// Split mode for real: a Prefill and a Decode process on loopback, a Gateway in Split mode in this process
/// routing to them, and a Local-mode Gateway as the reference. Started only when the checkpoint is present.
/// </summary>
public sealed class SplitGatewayFixture : IAsyncLifetime
{
    private GatewayServer? _split;
    private GatewayServer? _local;

    public ServiceProcess Prefill { get; private set; } = null!;

    public ServiceProcess Decode { get; private set; } = null!;

    /// <summary>The Split-mode gateway; skips the calling test when the checkpoint is absent.</summary>
    public GatewayServer Split
    {
        get
        {
            TestModels.RequireStories260K();
            return _split!;
        }
    }

    public GatewayServer Local
    {
        get
        {
            TestModels.RequireStories260K();
            return _local!;
        }
    }

    /// <summary>Gateway settings for Split mode with one instance per pool, polled every 200 ms.</summary>
    public static Dictionary<string, string?> SplitSettings(string prefillAddress, string decodeAddress) => new()
    {
        ["Gateway:Mode"] = "Split",
        ["Gateway:Prefill:Instances:0:Name"] = "prefill-0",
        ["Gateway:Prefill:Instances:0:Address"] = prefillAddress,
        ["Gateway:Decode:Instances:0:Name"] = "decode-0",
        ["Gateway:Decode:Instances:0:Address"] = decodeAddress,
        ["Gateway:Routing:LoadPollInterval"] = TimeSpan.FromMilliseconds(200).ToString("c", CultureInfo.InvariantCulture),
    };

    /// <summary>Waits until the gateway's router has a healthy instance in each pool (<c>/health</c> says Healthy).</summary>
    public static async Task WaitForInstancesAsync(GatewayServer server)
    {
        using var cts = new CancellationTokenSource(GatewayServer.Timeout);
        while (true)
        {
            using var response = await server.Http.GetAsync("/health", cts.Token);
            if ((await response.Content.ReadAsStringAsync(cts.Token)).StartsWith("Healthy", StringComparison.Ordinal))
            {
                return;
            }
            await Task.Delay(50, cts.Token);
        }
    }

    public async Task InitializeAsync()
    {
        if (TestModels.Stories260K is not { } dir)
        {
            return;
        }
        // The engine's start-up line (its settings as it applied them) is in the output.
        string[] engineLog = ["--Logging:LogLevel:Platform.Engine.Serving.LlmEngine", "Information"];
        var prefill = ServiceProcess.StartAsync("Prefill", dir, engineLog);
        var decode = ServiceProcess.StartAsync("Decode", dir, engineLog);
        var local = GatewayServer.StartAsync(dir);
        Prefill = await prefill;
        Decode = await decode;
        _local = await local;
        _split = await GatewayServer.StartAsync(dir, SplitSettings(Prefill.Address, Decode.Address));
        await WaitForInstancesAsync(_split);
    }

    public async Task DisposeAsync()
    {
        if (_split is not null)
        {
            await _split.DisposeAsync();
        }
        if (_local is not null)
        {
            await _local.DisposeAsync();
        }
        Prefill?.Dispose();
        Decode?.Dispose();
    }
}
