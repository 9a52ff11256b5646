namespace Platform.Deployment.Tests;

/// <summary>docker-compose.yml: valid for compose, and wired as the code and the chart expect.</summary>
public sealed class ComposeTests
{
    private const string MissingCompose = "needs docker-compose (Debian/Ubuntu package docker-compose; infra/install-packages.sh installs it)";

    private static readonly string[] AppServices = ["gateway", "prefill", "decode-0", "kvstore"];

    private static Dictionary<object, object?> Services() =>
        (Dictionary<object, object?>)YamlDocuments.LoadMerged(File.ReadAllText(RepositoryPaths.Compose))["services"]!;

    private static Dictionary<object, object?> Service(string name) => (Dictionary<object, object?>)Services()[name]!;

    private static List<string> Command(string name) => ((List<object>)Service(name)["command"]!).Select(o => o.ToString()!).ToList();

    private static string Flag(List<string> command, string flag) => command[command.IndexOf(flag) + 1];

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ConfigValidatesOffline(bool withGpuOverlay)
    {
        var compose = ExternalTool.Find("docker-compose");
        Skip.If(compose is null, MissingCompose);
        string[] files = withGpuOverlay ? ["-f", RepositoryPaths.Compose, "-f", RepositoryPaths.ComposeGpu] : ["-f", RepositoryPaths.Compose];
        var (code, output) = await compose!.RunAsync(RepositoryPaths.Root, [.. files, "config", "-q"]);
        Assert.True(code == 0, output);
    }

    [Fact]
    public void EveryServiceHasADaprSidecarInItsNetworkNamespace()
    {
        foreach (var app in AppServices)
        {
            var sidecar = Service($"{app}-dapr");
            Assert.Equal($"service:{app}", sidecar["network_mode"]);
            var command = Command($"{app}-dapr");
            Assert.Equal(app, Flag(command, "-app-id"));
            Assert.Equal("16Mi", Flag(command, "-max-body-size"));
            Assert.Equal("50001", ContainerEnvironment.ComposeEnv(app)["DAPR_GRPC_PORT"]);
            if (app != "gateway")
            {
                Assert.Equal("grpc", Flag(command, "-app-protocol"));
                Assert.Equal("8081", Flag(command, "-app-port"));
            }
        }
    }

    [Fact]
    public void TheGatewayRoutesToTheSidecarsAppIds()
    {
        var env = ContainerEnvironment.ComposeEnv("gateway");
        Assert.Equal("Split", env["Gateway__Mode"]);
        var appIds = env.Where(e => e.Key.EndsWith("__AppId", StringComparison.Ordinal)).Select(e => e.Value).ToList();
        Assert.Contains("prefill", appIds);
        Assert.Contains("decode-0", appIds);
        foreach (var appId in appIds)
        {
            Assert.True(Services().ContainsKey($"{appId}-dapr"), $"the gateway names app id {appId}, which no sidecar has");
        }
    }

    [Fact]
    public void ConnectionNamesAreTheCodesNames()
    {
        foreach (var app in AppServices)
        {
            var env = ContainerEnvironment.ComposeEnv(app);
            Assert.Equal("redis:6379", env["ConnectionStrings__redis"]);
            Assert.Equal("kafka:9092", env["ConnectionStrings__kafka"]);
            Assert.Equal("Kafka", env["Bus__Kind"]);
        }
    }

    [Fact]
    public void RedisIsABoundedLruCacheAndKafkaOneKraftBroker()
    {
        var redis = Command("redis");
        Assert.Equal("allkeys-lru", Flag(redis, "--maxmemory-policy"));
        Assert.False(string.IsNullOrEmpty(ContainerEnvironment.Interpolate(Flag(redis, "--maxmemory"))));
        var kafka = (Dictionary<object, object?>)Service("kafka")["environment"]!;
        Assert.Equal("broker,controller", kafka["KAFKA_PROCESS_ROLES"]);
        Assert.False(kafka.ContainsKey("KAFKA_ZOOKEEPER_CONNECT"));
        Assert.Contains("--kafka.server=kafka:9092", ((List<object>)Service("kafka-exporter")["command"]!).Select(o => o.ToString()));
    }

    [Fact]
    public void PrometheusAndGrafanaUseTheChartsRulesAndDashboards()
    {
        static IEnumerable<string> Volumes(string service) => ((List<object>)Service(service)["volumes"]!).Select(o => o.ToString()!);
        Assert.Contains("./charts/platform/files/rules:/etc/prometheus/rules:ro", Volumes("prometheus"));
        Assert.Contains(Volumes("grafana"), v => v.StartsWith("./charts/platform/files/dashboards:", StringComparison.Ordinal));
        var prometheus = YamlDocuments.ToJson(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "infra", "prometheus", "prometheus.yml")))!;
        var platform = prometheus["scrape_configs"]!.AsArray().Single(j => (string?)j!["job_name"] == "platform")!;
        var targets = platform["static_configs"]!.AsArray()
            .ToDictionary(c => (string)c!["targets"]![0]!, c => (string)c!["labels"]!["component"]!);
        Assert.Equal("gateway", targets["gateway:8000"]);
        Assert.Equal("prefill", targets["prefill:8080"]);
        Assert.Equal("decode", targets["decode-0:8080"]);
        Assert.Equal("kvstore", targets["kvstore:8080"]);
    }
}
