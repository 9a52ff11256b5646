using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;

namespace Platform.Deployment.Tests.Images;

/// <summary>
/// The chart's pods as Docker containers: each Deployment the chart renders with its defaults (Gateway, Prefill, two
/// Decode instances, KvStore) runs from the service image with the rendered environment, user, read-only root file
/// system, dropped capabilities, emptyDir and model mounts; its readiness and liveness probes must answer on the
/// ports they name, and a chat request must go the chart's way (the Gateway publishes to the request bus, Prefill's
/// worker takes it and sends the KV to a Decode instance), with the API key from the chart's Secret, and
/// infra/cluster/smoke-test.sh must pass against it. Departures from a cluster, each for a part that cannot
/// run here: no Dapr sidecar (an app id is called at its Deployment's name and Dapr app port), the bus on Redis
/// Streams instead of Kafka, this machine's redis-server instead of the Redis Deployment, a smaller KV cache.
/// </summary>
[Collection(ServiceImagesCollection.Name)]
public sealed class ChartPodsAsContainersTests(ServiceImages images)
{
    /// <summary>The chart's defaults, and with the fine-tuning service (its ReadWriteMany claim on every engine pod).</summary>
    public static TheoryData<string> Variants => new() { "", "finetune.enabled=true" };

    // Through the chart's API key Secret, so the Gateway's key check and infra/cluster/smoke-test.sh run as installed.
    private const string ApiKey = "sk-chart-test";

    [SkippableTheory]
    [MemberData(nameof(Variants))]
    public async Task TheChartsPodsRunFromTheImagesAnswerTheirProbesAndServeThroughTheBus(string sets)
    {
        images.Require();
        var model = TestModels.RequireStories260K();
        var helm = HelmChart.Helm();
        Skip.If(helm is null, HelmChart.MissingHelm);
        Skip.If(RedisServer.FindBinary() is null, "needs redis-server (Debian's redis-server package)");
        var rendered = await HelmChart.RenderAsync(helm!,
            [$"image.tag={ServiceImages.Tag}", $"gateway.apiKeys.values[0]={ApiKey}", .. sets.Split(',', StringSplitOptions.RemoveEmptyEntries)]);
        var secrets = SecretValues(rendered);
        var deployments = rendered.Where(d => (string?)d?["kind"] == "Deployment")
            .Select(d => d!)
            .Where(d => ((string)Pod(d)["containers"]![0]!["image"]!).StartsWith("platform/", StringComparison.Ordinal))
            .ToList();
        // gateway, prefill, decode-0, decode-1, kvstore, and finetune where enabled
        Assert.Equal(sets.Contains("finetune", StringComparison.Ordinal) ? 6 : 5, deployments.Count);
        var appPorts = deployments.ToDictionary(d => (string)d["metadata"]!["name"]!, DaprAppPort);

        using var redis = await RedisServer.StartAsync("--bind", "0.0.0.0", "--protected-mode", "no");
        await using var network = await DockerNetwork.CreateAsync(images.Docker);
        var containers = new List<(JsonNode Deployment, RunningContainer Container)>();
        // A claim (ReadWriteMany where several pods mount it) becomes one Docker volume shared by those containers.
        var claims = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            foreach (var deployment in deployments)
            {
                var options = RunOptions(deployment, secrets, network.Name, model, redis.Port, appPorts, claims);
                var image = (string)Pod(deployment)["containers"]![0]!["image"]!;
                containers.Add((deployment, await RunningContainer.StartAsync(images.Docker, (string)deployment["metadata"]!["name"]!, image, options)));
            }
            await Task.WhenAll(containers.Select(c => c.Container.WaitHealthyAsync()));

            foreach (var (deployment, container) in containers)
            {
                var app = Pod(deployment)["containers"]![0]!;
                foreach (var probe in new[] { "readinessProbe", "livenessProbe" })
                {
                    // As the kubelet judges it: a status below 400 passes (curl -f fails the exec otherwise).
                    var get = app[probe]!["httpGet"]!;
                    int port = PortNumber(app, get["port"]!);
                    await container.ExecAsync("curl", "-fsS", $"http://127.0.0.1:{port}{(string)get["path"]!}");
                }
            }

            var (gatewayDeployment, gateway) = Named(containers, "-gateway");
            // Ready is not yet routed: the Gateway says Degraded until its first load poll of every instance answered.
            await gateway.WaitUntilAnswersAsync("http://127.0.0.1:8000/health", "Healthy");
            var served = Env(Pod(gatewayDeployment), secrets)["Gateway__ServedModelName"];
            var gatewayUri = await gateway.PublishedAsync(8000);
            var client = new ChatClient(served, new ApiKeyCredential(ApiKey), new OpenAIClientOptions
            {
                Endpoint = new Uri(gatewayUri, "/v1"),
                RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
                NetworkTimeout = TimeSpan.FromSeconds(60),
            });
            ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("Once upon a time")],
                new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 16 });
            Assert.False(string.IsNullOrEmpty(completion.Content[0].Text));
            Assert.Equal(16, completion.Usage.OutputTokenCount);

            // The chart's path: through the bus to Prefill's worker, and its KV to one of the Decode instances.
            var (_, prefill) = Named(containers, "-prefill");
            var prefillMetrics = await prefill.ExecAsync("curl", "-fsS", "http://127.0.0.1:8080/metrics");
            Assert.True(PrometheusText.Sum(prefillMetrics, "bus_messages_total") > 0, prefillMetrics);
            Assert.True(PrometheusText.Sum(prefillMetrics, "kv_transfer_bytes_total") > 0, prefillMetrics);

            // The local cluster's smoke test, pointed at this Gateway: models, a completion, a stream, 401 without the key.
            var (smoke, smokeOutput) = await ExternalTool.Find("env")!.RunAsync(RepositoryPaths.Root, TimeSpan.FromMinutes(3),
                $"API_KEY={ApiKey}", $"SERVED_MODEL_NAME={served}", "bash", "infra/cluster/smoke-test.sh", gatewayUri.ToString().TrimEnd('/'));
            Assert.True(smoke == 0, smokeOutput);

            if (containers.Any(c => ((string)c.Deployment["metadata"]!["name"]!).EndsWith("-finetune", StringComparison.Ordinal)))
            {
                // A job through the fine-tuning pod, placed on a Decode instance, its files on the shared claim.
                var (_, finetune) = Named(containers, "-finetune");
                using var http = new HttpClient { BaseAddress = await finetune.PublishedAsync(8000), Timeout = TimeSpan.FromSeconds(60) };
                http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiKey);
                var job = await FineTuning.RunJobAsync(http, served);
                Assert.Equal("succeeded", (string?)job["status"]);
            }
        }
        finally
        {
            foreach (var (_, container) in containers)
            {
                await container.DisposeAsync();
            }
            foreach (var volume in claims.Values)
            {
                await images.Docker.RunAsync(RepositoryPaths.Root, "volume", "rm", "-f", volume);
            }
        }
    }

    private static (JsonNode Deployment, RunningContainer Container) Named(List<(JsonNode Deployment, RunningContainer Container)> containers, string suffix) =>
        containers.Single(c => ((string)c.Deployment["metadata"]!["name"]!).EndsWith(suffix, StringComparison.Ordinal));

    private static JsonNode Pod(JsonNode deployment) => deployment["spec"]!["template"]!["spec"]!;

    private static int DaprAppPort(JsonNode deployment) =>
        int.Parse((string?)deployment["spec"]!["template"]!["metadata"]!["annotations"]?["dapr.io/app-port"] ?? "8081", CultureInfo.InvariantCulture);

    /// <summary>The app container's env: values, and secret references resolved from the rendered Secrets.</summary>
    private static Dictionary<string, string> Env(JsonNode pod, IReadOnlyDictionary<(string Secret, string Key), string> secrets) =>
        (pod["containers"]![0]!["env"]?.AsArray() ?? []).Select(e => e!).ToDictionary(
            e => (string)e["name"]!,
            e => e["value"] is { } value ? (string)value!
                : e["valueFrom"]?["secretKeyRef"] is { } reference ? secrets[((string)reference["name"]!, (string)reference["key"]!)]
                : throw new InvalidOperationException($"an env source the test cannot stand in for: {e.ToJsonString()}"),
            StringComparer.Ordinal);

    /// <summary>(secret, key) to value for every rendered Secret (stringData as is, data base64-decoded).</summary>
    private static Dictionary<(string Secret, string Key), string> SecretValues(IEnumerable<JsonNode?> rendered)
    {
        var values = new Dictionary<(string, string), string>();
        foreach (var secret in rendered.Where(d => (string?)d?["kind"] == "Secret").Select(d => d!))
        {
            var name = (string)secret["metadata"]!["name"]!;
            foreach (var (key, value) in secret["stringData"]?.AsObject() ?? [])
            {
                values[(name, key)] = (string)value!;
            }
            foreach (var (key, value) in secret["data"]?.AsObject() ?? [])
            {
                values[(name, key)] = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String((string)value!));
            }
        }
        return values;
    }

    /// <summary>A probe's port: a number, or the name of one of the container's ports.</summary>
    private static int PortNumber(JsonNode container, JsonNode port) =>
        (int)(port.GetValueKind() == System.Text.Json.JsonValueKind.Number
            ? (long)port
            : (long)container["ports"]!.AsArray().Single(p => (string?)p!["name"] == (string)port!)!["containerPort"]!);

    /// <summary>docker run options for one rendered Deployment's pod.</summary>
    private static List<string> RunOptions(
        JsonNode deployment, IReadOnlyDictionary<(string Secret, string Key), string> secrets, string network, string model, int redisPort, IReadOnlyDictionary<string, int> appPorts, Dictionary<string, string> claims)
    {
        var name = (string)deployment["metadata"]!["name"]!;
        var pod = Pod(deployment);
        var app = pod["containers"]![0]!;
        var options = new List<string> { "--network", network, "--network-alias", name, "--add-host", "host.docker.internal:host-gateway" };

        var podSecurity = pod["securityContext"];
        if (podSecurity?["runAsUser"] is { } user)
        {
            options.AddRange(["--user", $"{(long)user}:{(long?)podSecurity["runAsGroup"] ?? (long)user}"]);
        }
        var security = app["securityContext"];
        if ((bool?)security?["readOnlyRootFilesystem"] == true)
        {
            options.Add("--read-only");
        }
        foreach (var capability in security?["capabilities"]?["drop"]?.AsArray() ?? [])
        {
            options.AddRange(["--cap-drop", (string)capability!]);
        }
        if ((bool?)security?["allowPrivilegeEscalation"] == false)
        {
            options.AddRange(["--security-opt", "no-new-privileges"]);
        }

        var volumes = (pod["volumes"]?.AsArray() ?? []).ToDictionary(v => (string)v!["name"]!, v => v!);
        foreach (var mount in app["volumeMounts"]?.AsArray() ?? [])
        {
            var path = (string)mount!["mountPath"]!;
            var volume = volumes[(string)mount["name"]!];
            if (volume["emptyDir"] is not null)
            {
                options.AddRange(["--tmpfs", $"{path}:rw,exec,mode=1777"]);
            }
            else if ((string)mount["name"]! == "model")
            {
                options.AddRange(["-v", $"{model}:{path}:ro"]);
            }
            else if ((string?)volume["persistentVolumeClaim"]?["claimName"] is { } claim)
            {
                // A new Docker volume takes the image's directory (owned by the app user) as a provisioner's fsGroup would.
                if (!claims.TryGetValue(claim, out var dockerVolume))
                {
                    claims[claim] = dockerVolume = $"platform-test-{claim}-{Guid.NewGuid().ToString("N")[..8]}";
                }
                options.AddRange(["-v", $"{dockerVolume}:{path}"]);
            }
            else
            {
                Assert.Fail($"{name}: a volume the test does not know how to stand in for: {volume.ToJsonString()}");
            }
        }

        foreach (var (key, value) in Env(pod, secrets))
        {
            var local = key switch
            {
                "Bus__Kind" => "RedisStreams",
                "ConnectionStrings__redis" => $"host.docker.internal:{redisPort}",
                "Engine__KvCacheBytes" => (64L << 20).ToString(CultureInfo.InvariantCulture),
                _ => value,
            };
            options.AddRange(["-e", $"{key}={local}"]);
            // No sidecar: an instance named by Dapr app id is called at its Deployment's name on its Dapr app port.
            if (key.StartsWith("Gateway__", StringComparison.Ordinal) && key.EndsWith("__AppId", StringComparison.Ordinal))
            {
                Assert.True(appPorts.TryGetValue(value, out var port), $"{name} names app id '{value}', which no rendered Deployment has");
                options.AddRange(["-e", $"{key[..^"AppId".Length]}Address=http://{value}:{port}"]);
            }
        }
        if (name.EndsWith("-gateway", StringComparison.Ordinal) || name.EndsWith("-finetune", StringComparison.Ordinal))
        {
            options.AddRange(["-p", "127.0.0.1::8000"]);
        }
        return options;
    }
}
