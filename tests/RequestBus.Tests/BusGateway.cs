using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Gateway;
using Platform.ServiceDefaults;

namespace Platform.RequestBus.Tests;

/// <summary>A real Split-mode Gateway on Kestrel (composed as its Program.cs composes it) dispatching through the bus.</summary>
public sealed class BusGateway : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BusGateway(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
        Http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(90) };
    }

    public string BaseUrl { get; }

    public HttpClient Http { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Split mode over <paramref name="prefill"/> and <paramref name="decode"/>, through the bus <paramref name="bus"/> describes.</summary>
    public static async Task<BusGateway> StartAsync(string model, IReadOnlyList<ServiceProcess> prefill, ServiceProcess decode, IDictionary<string, string?> bus)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        var settings = new Dictionary<string, string?>
        {
            ["Gateway:ModelPath"] = model,
            ["Gateway:ServedModelName"] = "stories",
            ["Gateway:Mode"] = "Split",
            ["Gateway:Dispatch"] = "Bus",
            ["Gateway:Decode:Instances:0:Name"] = "decode-0",
            ["Gateway:Decode:Instances:0:Address"] = decode.Address,
            ["Gateway:Routing:LoadPollInterval"] = TimeSpan.FromMilliseconds(200).ToString("c", CultureInfo.InvariantCulture),
        };
        for (int i = 0; i < prefill.Count; i++)
        {
            settings[$"Gateway:Prefill:Instances:{i}:Name"] = $"prefill-{i}";
            settings[$"Gateway:Prefill:Instances:{i}:Address"] = prefill[i].Address;
        }
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Configuration.AddInMemoryCollection(bus);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddServiceDefaults();
        builder.AddGateway();
        builder.AddGatewayBackend();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGateway();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var gateway = new BusGateway(app, address);
        await gateway.WaitHealthyAsync();
        return gateway;
    }

    private async Task WaitHealthyAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            using var response = await Http.GetAsync("/health", cts.Token);
            if ((await response.Content.ReadAsStringAsync(cts.Token)).StartsWith("Healthy", StringComparison.Ordinal))
            {
                return;
            }
            await Task.Delay(50, cts.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
