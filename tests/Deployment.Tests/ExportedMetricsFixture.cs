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
    private readonly List<(string Label, ServiceContainer Container)> _services = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private readonly string _busPrefix = $"metrics{Guid.NewGuid():N}";
    private RedisServer? _redis;

    /// <summary>The <see cref="ScrapedBy"/> key of the Gateway that dispatches by direct Prefill calls (the other is <c>Gateway</c>, on the bus).</summary>
    public const string DirectGateway = "Gateway (direct dispatch)";

    /// <summary>Why nothing was started, or null.</summary>
    public string? SkipReason { get; private set; }

    /// <summary>Series names scraped from every started service.</summary>
    public IReadOnlySet<string> Scraped { get; private set; } = new HashSet<string>();

    /// <summary>Every started service's component (the label compose's and the chart's Prometheus give it) and host:port.</summary>
    public IEnumerable<(string Component, string Target)> ScrapeTargets =>
        _services.Select(s => (s.Label == DirectGateway ? "gateway" : s.Label.ToLowerInvariant(), new Uri(s.Container.HttpBase).Authority));

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
        if (RedisServer.FindBinary() is null)
        {
            SkipReason = "redis-server is not installed (the request bus and the chunk store need it): run infra/install-packages.sh";
            return;
        }
        _redis = await RedisServer.StartAsync();
        int prefillHttp = ServiceProcess.FreePort(), prefillGrpc = ServiceProcess.FreePort();
        int decodeHttp = ServiceProcess.FreePort(), decodeGrpc = ServiceProcess.FreePort();
        int kvstoreHttp = ServiceProcess.FreePort(), kvstoreGrpc = ServiceProcess.FreePort();
        int gatewayHttp = ServiceProcess.FreePort(), gatewayDirectHttp = ServiceProcess.FreePort();
        var grpcByAppId = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["prefill"] = $"http://127.0.0.1:{prefillGrpc}",
            ["decode-0"] = $"http://127.0.0.1:{decodeGrpc}",
            ["kvstore"] = $"http://127.0.0.1:{kvstoreGrpc}",
        };

        var prefill = Start("prefill", "Prefill", model, prefillHttp, prefillGrpc, grpcByAppId);
        var decode = Start("decode-0", "Decode", model, decodeHttp, decodeGrpc, grpcByAppId);
        var kvstore = Start("kvstore", "KvStore", model, kvstoreHttp, kvstoreGrpc, grpcByAppId);
        await Task.WhenAll(prefill.WaitHealthyAsync(_http), decode.WaitHealthyAsync(_http), kvstore.WaitHealthyAsync(_http));
        // Compose's Gateway dispatches through the bus; prompts sent by direct Prefill calls (Gateway:Dispatch Direct)
        // are the ones whose TTFT the Gateway can break into parts, so a second Gateway serves them.
        var gateway = Start("gateway", "Gateway", model, gatewayHttp, grpc: null, grpcByAppId);
        var direct = Start("gateway", "Gateway", model, gatewayDirectHttp, grpc: null, grpcByAppId, DirectGateway, ("Gateway__Dispatch", "Direct"));
        await Task.WhenAll(gateway.WaitHealthyAsync(_http), direct.WaitHealthyAsync(_http));

        string served = ContainerEnvironment.ComposeEnv("gateway")["Gateway__ServedModelName"];
        await ServeTrafficAsync(gateway.HttpBase, served);
        await ServeTrafficAsync(direct.HttpBase, served);
        await ServeRagTrafficAsync(gateway.HttpBase, kvstore.HttpBase, served);

        var by = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        foreach (var (label, service) in _services)
        {
            by[label] = PrometheusText.SeriesNames(await _http.GetStringAsync($"{service.HttpBase}/metrics"));
        }
        ScrapedBy = by;
        Scraped = by.Values.SelectMany(n => n).ToHashSet(StringComparer.Ordinal);
    }

    public Task DisposeAsync()
    {
        foreach (var (_, service) in _services)
        {
            service.Dispose();
        }
        _redis?.Dispose();
        _http.Dispose();
        return Task.CompletedTask;
    }

    private ServiceContainer Start(
        string composeService, string project, string model, int http, int? grpc, IReadOnlyDictionary<string, string> grpcByAppId,
        string? label = null, params (string Key, string Value)[] overrides)
    {
        var env = ContainerEnvironment.Of(composeService, RepositoryPaths.Dockerfile(project));
        var local = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in env)
        {
            if (key.StartsWith("DAPR_", StringComparison.Ordinal) || key == "ConnectionStrings__kafka")
            {
                continue;  // no sidecar and no Kafka broker here: the bus runs on Redis Streams
            }
            local[key] = key switch
            {
                "Kestrel__Endpoints__Http__Url" => $"http://127.0.0.1:{http}",
                "Kestrel__Endpoints__Grpc__Url" => $"http://127.0.0.1:{grpc ?? throw new InvalidOperationException($"{composeService} has a gRPC endpoint")}",
                _ when key.EndsWith("__ModelPath", StringComparison.Ordinal) => model,
                // The same bus code over Redis Streams (compose's Kafka needs its broker); the same Redis for the chunk store.
                "Bus__Kind" => "RedisStreams",
                "Bus__Prefix" => _busPrefix,
                "ConnectionStrings__redis" => _redis!.ConnectionString,
                "ConnectionStrings__kvstore" => grpcByAppId["kvstore"],
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
        local["Bus__PollInterval"] = "00:00:00.100";
        local["ChunkStore__ReadTimeout"] = "00:00:00.500";
        local["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in overrides)
        {
            local[key] = value;
        }
        var container = ServiceContainer.Start(project, local, $"http://127.0.0.1:{http}");
        _services.Add((label ?? project, container));
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

    /// <summary>
    /// RAG requests: a first one misses and writes its chunks back through the KvStore, the same one again reuses
    /// them (Prefill blends the stored KV), and with Redis gone a third falls back to full prefill.
    /// </summary>
    private async Task ServeRagTrafficAsync(string gateway, string kvstore, string model)
    {
        string[] chunks =
        [
            "Lily had a red ball. She liked to throw it high in the park with her dog Max.",
            "One day the ball went over the fence and into the garden of an old man named Tom.",
        ];
        var rag = new { chunks = chunks.Select(c => new { text = c }).ToArray(), recompute_ratio = 0.2, write_back = true };
        var body = new { model, prompt = " What did Lily do with the ball?", max_tokens = 4, temperature = 0, rag };
        using (var miss = await _http.PostAsJsonAsync($"{gateway}/v1/completions", body))
        {
            Assert.True(miss.IsSuccessStatusCode, await miss.Content.ReadAsStringAsync());
        }
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while (PrometheusText.Sum(await _http.GetStringAsync($"{kvstore}/metrics", cts.Token), "chunks_stored_total") < chunks.Length)
            {
                await Task.Delay(100, cts.Token);
            }
        }
        using (var hit = await _http.PostAsJsonAsync($"{gateway}/v1/completions", body))
        {
            Assert.True(hit.IsSuccessStatusCode, await hit.Content.ReadAsStringAsync());
        }

        _redis!.Kill();
        using var down = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            // Only the metrics matter here: without Redis the bus cannot take the request either.
            using var response = await _http.PostAsJsonAsync($"{gateway}/v1/completions", body, down.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
