using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenAI;
using Platform.Engine.Serving;
using Platform.Gateway.Backend;
using Platform.ServiceDefaults;

namespace Platform.Gateway.Tests;

/// <summary>
/// A real Gateway on Kestrel at 127.0.0.1 and a free port, composed as Program.cs composes it, in this
/// process so tests can look at its engine. A fake backend replaces the engine where a test needs one.
/// </summary>
public sealed class GatewayServer : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly WebApplication _app;

    private GatewayServer(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
        Http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = Timeout };
    }

    public string BaseUrl { get; }
    public HttpClient Http { get; }
    public IServiceProvider Services => _app.Services;

    /// <summary>The in-process engine (all-in-one backend only).</summary>
    public LlmEngine Engine => Services.GetRequiredService<LocalEngineBackend>().Engine
        ?? throw new InvalidOperationException("the engine is not loaded");

    public static Task<GatewayServer> StartAsync(string modelDir, IDictionary<string, string?>? settings = null) =>
        StartAsync(modelDir, settings, backend: null);

    public static async Task<GatewayServer> StartAsync(string? modelDir, IDictionary<string, string?>? settings, IGenerationBackend? backend)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:ModelPath"] = modelDir,
            ["Gateway:ServedModelName"] = "stories",
            ["Engine:KvCacheBytes"] = (8L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Engine:MaxBatchedTokens"] = "512",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddServiceDefaults();
        builder.AddGateway();
        if (backend is null)
        {
            builder.AddGatewayBackend();
        }
        else
        {
            builder.Services.AddSingleton(backend);
        }
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGateway();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var server = new GatewayServer(app, address);
        if (backend is null)
        {
            await server.WaitReadyAsync();
        }
        return server;
    }

    /// <summary>An OpenAI SDK client for this server; retries off, so errors surface at once.</summary>
    public OpenAIClient Sdk(string apiKey = "unused") => new(new ApiKeyCredential(apiKey), new OpenAIClientOptions
    {
        Endpoint = new Uri(BaseUrl + "/v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        NetworkTimeout = Timeout,
    });

    private async Task WaitReadyAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (true)
        {
            using var response = await Http.GetAsync("/health", cts.Token);
            if (response.IsSuccessStatusCode)
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
