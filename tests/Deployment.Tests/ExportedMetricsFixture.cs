using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using Platform.Gateway.Metrics;

namespace Platform.Deployment.Tests;

/// <summary>
/// What the services really export: Prefill, Decode and a Split-mode Gateway started from their build output
/// with docker-compose.yml's environment over their Dockerfiles' (rewritten for loopback and no sidecar), served
/// some traffic (completions, a stream, a malformed request), then scraped at /metrics over HTTP/1.1.
/// </summary>
public sealed class ExportedMetricsFixture : IAsyncLifetime
{
    private readonly List<ServiceContainer> _services = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>Why nothing was started, or null.</summary>
    public string? SkipReason { get; private set; }

    /// <summary>Series names scraped from every started service.</summary>
    public IReadOnlySet<string> Scraped { get; private set; } = new HashSet<string>();

    /// <summary>Scraped names per compose service.</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> ScrapedBy { get; private set; } = new Dictionary<string, IReadOnlySet<string>>();

    /// <summary>
    /// Series that are real but do not appear in a scrape of these processes after ordinary traffic, each with
    /// where it comes from. Kept short on purpose: every other name must be seen.
    /// </summary>
    public static IReadOnlyDictionary<string, string> NotScraped { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["up"] = "Prometheus's own per-target series",
        ["kafka_consumergroup_lag"] = "the Kafka exporter (compose kafka-exporter, Strimzi kafkaExporter)",
        [MetricNames.DecodeRetries + "_total"] = "the Gateway, only after a decode instance refuses a request's KV (Platform.Gateway.Metrics.MetricNames.DecodeRetries)",
    };

    public async Task InitializeAsync()
    {
        if (TestModels.Stories260K is not { } model)
        {
            SkipReason = "needs the real checkpoint at ../shared/models/stories260K/hf beside the repository";
            return;
        }
        int prefillHttp = ServiceProcess.FreePort(), prefillGrpc = ServiceProcess.FreePort();
        int decodeHttp = ServiceProcess.FreePort(), decodeGrpc = ServiceProcess.FreePort();
        int gatewayHttp = ServiceProcess.FreePort();
        var grpcByAppId = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["prefill"] = $"http://127.0.0.1:{prefillGrpc}",
            ["decode-0"] = $"http://127.0.0.1:{decodeGrpc}",
        };

        var prefill = Start("prefill", "Prefill", model, prefillHttp, prefillGrpc, grpcByAppId);
        var decode = Start("decode-0", "Decode", model, decodeHttp, decodeGrpc, grpcByAppId);
        await Task.WhenAll(prefill.WaitHealthyAsync(_http), decode.WaitHealthyAsync(_http));
        var gateway = Start("gateway", "Gateway", model, gatewayHttp, grpc: null, grpcByAppId);
        await gateway.WaitHealthyAsync(_http);

        await ServeTrafficAsync(gateway.HttpBase, ContainerEnvironment.ComposeEnv("gateway")["Gateway__ServedModelName"]);

        var by = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        foreach (var service in _services)
        {
            by[service.Name] = PrometheusText.SeriesNames(await _http.GetStringAsync($"{service.HttpBase}/metrics"));
        }
        ScrapedBy = by;
        Scraped = by.Values.SelectMany(n => n).ToHashSet(StringComparer.Ordinal);
    }

    public Task DisposeAsync()
    {
        foreach (var service in _services)
        {
            service.Dispose();
        }
        _http.Dispose();
        return Task.CompletedTask;
    }

    private ServiceContainer Start(string composeService, string project, string model, int http, int? grpc, IReadOnlyDictionary<string, string> grpcByAppId)
    {
        var env = ContainerEnvironment.Of(composeService, RepositoryPaths.Dockerfile(project));
        var local = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in env)
        {
            if (key.StartsWith("DAPR_", StringComparison.Ordinal) || key.StartsWith("ConnectionStrings__", StringComparison.Ordinal))
            {
                continue;  // no sidecar here; the engines do not use Redis or Kafka yet
            }
            local[key] = key switch
            {
                "Kestrel__Endpoints__Http__Url" => $"http://127.0.0.1:{http}",
                "Kestrel__Endpoints__Grpc__Url" => $"http://127.0.0.1:{grpc ?? throw new InvalidOperationException($"{composeService} has a gRPC endpoint")}",
                _ when key.EndsWith("__ModelPath", StringComparison.Ordinal) => model,
                // No broker here: the in-process bus (compose's Kafka bus needs the compose network).
                "Bus__Kind" => "InProcess",
                "Engine__KvCacheBytes" => (32L << 20).ToString(CultureInfo.InvariantCulture),
                "Gateway__Routing__LoadPollInterval" => "00:00:00.2",
                _ => value,
            };
            // Without a sidecar, instances named by Dapr app id are reached at the address of the process started for them.
            if (key.EndsWith("__AppId", StringComparison.Ordinal) && key.StartsWith("Gateway__", StringComparison.Ordinal))
            {
                local[key[..^"AppId".Length] + "Address"] = grpcByAppId.TryGetValue(value, out var address)
                    ? address
                    : throw new InvalidOperationException($"docker-compose.yml's gateway names app id '{value}', which no compose service started here has");
            }
        }
        local["Engine__CpuThreads"] = "1";
        local["Logging__LogLevel__Default"] = "Warning";
        var container = ServiceContainer.Start(project, local, $"http://127.0.0.1:{http}");
        _services.Add(container);
        return container;
    }

    private async Task ServeTrafficAsync(string gateway, string model)
    {
        using var completion = await _http.PostAsJsonAsync($"{gateway}/v1/completions",
            new { model, prompt = "Once upon a time", max_tokens = 8, temperature = 0 });
        Assert.True(completion.IsSuccessStatusCode, await completion.Content.ReadAsStringAsync());

        using var stream = new HttpRequestMessage(HttpMethod.Post, $"{gateway}/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model, messages = new[] { new { role = "user", content = "Tell me a story" } }, max_tokens = 6, stream = true }),
        };
        using var streamed = await _http.SendAsync(stream, HttpCompletionOption.ResponseHeadersRead);
        Assert.Contains("data: [DONE]", await streamed.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var malformed = await _http.PostAsync($"{gateway}/v1/completions", new StringContent("{bad", Encoding.UTF8, "application/json"));
        Assert.Equal(400, (int)malformed.StatusCode);
    }
}
