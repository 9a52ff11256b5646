using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Gateway;
using Platform.KvStore;
using Platform.ServiceDefaults;

namespace Platform.KvStore.Tests;

/// <summary>
/// Real servers in this process on loopback: a Gateway composed as its Program.cs composes it, and the KvStore
/// service with its HTTP and gRPC endpoints. Their content root is an empty folder, so no appsettings.json of a
/// referenced service (fixed ports) leaks in.
/// </summary>
public sealed class TestHost : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private readonly WebApplication _app;

    private TestHost(WebApplication app, string baseUrl, string? grpcUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
        GrpcUrl = grpcUrl;
        Http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = Timeout };
    }

    public string BaseUrl { get; }
    public string? GrpcUrl { get; }
    public HttpClient Http { get; }
    public IServiceProvider Services => _app.Services;

    /// <summary>A Gateway (all-in-one unless settings say Split) on stories260K, with the chunk store at <paramref name="redis"/>.</summary>
    public static async Task<TestHost> StartGatewayAsync(string modelDir, string? redis, IDictionary<string, string?>? settings = null)
    {
        var builder = Builder(new Dictionary<string, string?>
        {
            ["Gateway:ModelPath"] = modelDir,
            ["Gateway:ServedModelName"] = "stories",
            ["Engine:KvCacheBytes"] = (8L << 20).ToString(CultureInfo.InvariantCulture),
            ["Engine:MaxBatchedTokens"] = "512",
            ["ConnectionStrings:redis"] = redis,
            ["ChunkStore:ReadTimeout"] = "00:00:00.500",
        }, settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddServiceDefaults();
        builder.AddGateway();
        builder.AddGatewayBackend();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGateway();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var host = new TestHost(app, address, null);
        await host.WaitHealthyAsync();
        return host;
    }

    /// <summary>The KvStore service on stories260K: HTTP/1.1 API and gRPC on two free ports.</summary>
    public static async Task<TestHost> StartKvStoreAsync(string modelDir, string redis, IDictionary<string, string?>? settings = null)
    {
        int http = ServiceProcess.FreePort(), grpc = ServiceProcess.FreePort();
        var builder = Builder(new Dictionary<string, string?>
        {
            ["KvStore:ModelPath"] = modelDir,
            ["Engine:KvCacheBytes"] = (8L << 20).ToString(CultureInfo.InvariantCulture),
            ["Engine:MaxBatchedTokens"] = "512",
            ["ConnectionStrings:redis"] = redis,
            ["ChunkStore:ChunkTokens"] = "32",
            ["Kestrel:EndpointDefaults:Protocols"] = "Http1AndHttp2",
            ["Kestrel:Endpoints:Http:Url"] = $"http://127.0.0.1:{http}",
            ["Kestrel:Endpoints:Http:Protocols"] = "Http1",
            ["Kestrel:Endpoints:Grpc:Url"] = $"http://127.0.0.1:{grpc}",
            ["Kestrel:Endpoints:Grpc:Protocols"] = "Http2",
        }, settings);
        builder.AddServiceDefaults();
        builder.AddKvStore();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapKvStore();
        await app.StartAsync();
        var host = new TestHost(app, $"http://127.0.0.1:{http}", $"http://127.0.0.1:{grpc}");
        await host.WaitHealthyAsync();
        return host;
    }

    private static WebApplicationBuilder Builder(Dictionary<string, string?> defaults, IDictionary<string, string?>? settings)
    {
        var root = Directory.CreateTempSubdirectory("kvstore-tests-").FullName;
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = root });
        builder.Configuration.AddInMemoryCollection(defaults);
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        return builder;
    }

    private async Task WaitHealthyAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (true)
        {
            using var response = await Http.GetAsync("/health", cts.Token);
            if (response.IsSuccessStatusCode && (await response.Content.ReadAsStringAsync(cts.Token)).StartsWith("Healthy", StringComparison.Ordinal))
            {
                return;
            }
            await Task.Delay(50, cts.Token);
        }
    }

    /// <summary>The sum of a Prometheus counter's samples at <c>/metrics</c> (0 when absent).</summary>
    public async Task<double> MetricAsync(string name)
    {
        var text = await Http.GetStringAsync("/metrics");
        double sum = 0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(name, StringComparison.Ordinal) && (line.Length == name.Length || line[name.Length] is ' ' or '{'))
            {
                sum += double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }
        return sum;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
