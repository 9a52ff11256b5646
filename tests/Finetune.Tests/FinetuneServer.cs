using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Engine.Serving;
using Platform.Finetune.Hosting;
using Platform.Gateway;
using Platform.Gateway.Backend;
using Platform.ServiceDefaults;

namespace Platform.Finetune.Tests;

/// <summary>
/// The fine-tuning host as Program.cs composes it (all-in-one Gateway on stories260K plus the fine-tuning API)
/// on Kestrel at 127.0.0.1, in this process. Two tenants: acme and globex. Stopping and starting one on the
/// same data directory is a process restart as far as the service can tell.
/// </summary>
public sealed class FinetuneServer : IAsyncDisposable
{
    public const string AcmeKey = "sk-acme";
    public const string GlobexKey = "sk-globex";
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private readonly WebApplication _app;
    private bool _stopped;

    private FinetuneServer(WebApplication app, string baseUrl)
    {
        _app = app;
        Acme = Client(baseUrl, AcmeKey);
        Globex = Client(baseUrl, GlobexKey);
    }

    public HttpClient Acme { get; }
    public HttpClient Globex { get; }

    public LlmEngine Engine => _app.Services.GetRequiredService<LocalEngineBackend>().Engine!;

    /// <summary>The served model's tokenizer, in either mode.</summary>
    public Platform.Tokenizers.Tokenizer Tokenizer => _app.Services.GetRequiredService<IGenerationBackend>().Model!.Tokenizer;

    /// <summary>
    /// The same host in Split mode: the Gateway routes to the Prefill and Decode instances at these addresses
    /// (named prefill-0 and decode-0), polled for load every 200 ms, and places fine-tuning jobs on decode-0.
    /// </summary>
    public static Task<FinetuneServer> StartSplitAsync(string dataPath, string prefillAddress, string decodeAddress, IDictionary<string, string?>? settings = null)
    {
        var split = new Dictionary<string, string?>
        {
            ["Gateway:Mode"] = "Split",
            ["Gateway:Prefill:Instances:0:Name"] = "prefill-0",
            ["Gateway:Prefill:Instances:0:Address"] = prefillAddress,
            ["Gateway:Decode:Instances:0:Name"] = "decode-0",
            ["Gateway:Decode:Instances:0:Address"] = decodeAddress,
            ["Gateway:Routing:LoadPollInterval"] = "00:00:00.200",
            ["Gateway:Routing:LoadTimeout"] = "00:00:01",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            split[key] = value;
        }
        return StartAsync(dataPath, split);
    }

    public static async Task<FinetuneServer> StartAsync(string dataPath, IDictionary<string, string?>? settings = null)
    {
        var modelDir = TestModels.RequireStories260K();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:ModelPath"] = modelDir,
            ["Gateway:ServedModelName"] = "stories",
            ["Gateway:Tenants:acme:ApiKeys:0"] = AcmeKey,
            ["Gateway:Tenants:globex:ApiKeys:0"] = GlobexKey,
            ["Engine:KvCacheBytes"] = (8L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Engine:MaxBatchedTokens"] = "64",
            ["Finetune:DataPath"] = dataPath,
            ["Finetune:MaxForwardTokens"] = "32",
            ["Finetune:MaxBackwardLayers"] = "5",
            ["Finetune:TargetIterationMs"] = "0",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddServiceDefaults();
        builder.AddGateway();
        builder.AddGatewayBackend();
        builder.AddFinetune();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGateway();
        app.MapFinetune();
        try
        {
            await app.StartAsync();
        }
        catch
        {
            // Refused at start (invalid settings): nothing of it may outlive the test.
            await app.DisposeAsync();
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var server = new FinetuneServer(app, address);
        using var cts = new CancellationTokenSource(Timeout);
        while (!(await server.Acme.GetAsync("/health", cts.Token)).IsSuccessStatusCode)
        {
            await Task.Delay(50, cts.Token);
        }
        return server;
    }

    private static HttpClient Client(string baseUrl, string key)
    {
        var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = Timeout };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    public static async Task<HttpResponseMessage> UploadAsync(HttpClient http, string content, string purpose = "fine-tune")
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent(purpose), "purpose" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes(content)), "file", "train.jsonl" },
        };
        return await http.PostAsync("/v1/files", form);
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response, int status = 200)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static Task<HttpResponseMessage> PostJsonAsync(HttpClient http, string path, object body) =>
        http.PostAsync(path, new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));

    /// <summary>Split mode: waits until the Gateway has load reports from every instance (<c>/health</c> says Healthy, not Degraded).</summary>
    public async Task WaitAllInstancesAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (!(await (await Acme.GetAsync("/health", cts.Token)).Content.ReadAsStringAsync(cts.Token)).StartsWith("Healthy\n", StringComparison.Ordinal))
        {
            await Task.Delay(50, cts.Token);
        }
    }

    /// <summary>A greedy completion's text; fails the test on any status but 200.</summary>
    public static async Task<string> CompleteAsync(HttpClient http, string model, string prompt, int maxTokens)
    {
        var body = new StringContent(JsonSerializer.Serialize(new { model, prompt, max_tokens = maxTokens, temperature = 0 }), Encoding.UTF8, "application/json");
        var response = await JsonAsync(await http.PostAsync("/v1/completions", body));
        return response.GetProperty("choices")[0].GetProperty("text").GetString()!;
    }

    /// <summary>All the job's events (every page), oldest first.</summary>
    public static async Task<List<JsonElement>> EventsAsync(HttpClient http, string id)
    {
        var newestFirst = new List<JsonElement>();
        string after = "";
        while (true)
        {
            var page = await JsonAsync(await http.GetAsync($"/v1/fine_tuning/jobs/{id}/events?limit=100{after}"));
            newestFirst.AddRange(page.GetProperty("data").EnumerateArray());
            if (!page.GetProperty("has_more").GetBoolean())
            {
                newestFirst.Reverse();
                return newestFirst;
            }
            after = $"&after={newestFirst[^1].GetProperty("id").GetString()}";
        }
    }

    /// <summary>Polls the job until <paramref name="done"/> holds for it.</summary>
    public static async Task<JsonElement> WaitJobAsync(HttpClient http, string id, Func<JsonElement, bool> done)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (true)
        {
            var job = await JsonAsync(await http.GetAsync($"/v1/fine_tuning/jobs/{id}", cts.Token));
            if (done(job))
            {
                return job;
            }
            await Task.Delay(50, cts.Token);
        }
    }

    /// <summary>Stops the host: the running job stays "running" on disk, as after a crash or a rollout.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _app.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Acme.Dispose();
        Globex.Dispose();
        await StopAsync();
        await _app.DisposeAsync();
    }
}
