using System.Text.Json.Nodes;

namespace Platform.Deployment.Tests;

/// <summary>
/// The fine-tuning service as the chart renders it (finetune.enabled): one replica with the Gateway's settings, the
/// shared ReadWriteMany volume at the same path on it and on every Prefill and Decode pod, its routes, Dapr access
/// and NetworkPolicy; and nothing of it when it is off.
/// </summary>
public sealed class HelmFinetuneTests
{
    private static async Task<IReadOnlyList<JsonNode?>> RenderAsync(params string[] sets)
    {
        var helm = HelmChart.Helm();
        Skip.If(helm is null, HelmChart.MissingHelm);
        return await HelmChart.RenderAsync(helm!, sets);
    }

    private static IEnumerable<JsonNode> OfKind(IReadOnlyList<JsonNode?> rendered, string kind) =>
        rendered.Where(d => (string?)d?["kind"] == kind).Select(d => d!);

    private static string Name(JsonNode node) => (string)node["metadata"]!["name"]!;

    private static JsonNode Deployment(IReadOnlyList<JsonNode?> rendered, string suffix) =>
        OfKind(rendered, "Deployment").Single(d => Name(d).EndsWith(suffix, StringComparison.Ordinal));

    private static Dictionary<string, string> Env(JsonNode deployment) =>
        deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]!.AsArray()
            .ToDictionary(e => (string)e!["name"]!, e => (e!["value"] ?? e["valueFrom"])!.ToJsonString(), StringComparer.Ordinal);

    /// <summary>The claim name of the volume mounted at <paramref name="mountPath"/>, or null when nothing is mounted there.</summary>
    private static string? ClaimMountedAt(JsonNode deployment, string mountPath)
    {
        var pod = deployment["spec"]!["template"]!["spec"]!;
        var mount = pod["containers"]![0]!["volumeMounts"]!.AsArray().SingleOrDefault(m => (string?)m!["mountPath"] == mountPath);
        if (mount is null)
        {
            return null;
        }
        var volume = pod["volumes"]!.AsArray().Single(v => (string?)v!["name"] == (string?)mount["name"]);
        return (string?)volume!["persistentVolumeClaim"]?["claimName"];
    }

    [SkippableFact]
    public async Task OneReplicaWithTheGatewaySettingsAndTheSharedVolumeOnEveryEngine()
    {
        var rendered = await RenderAsync("finetune.enabled=true", "finetune.dataPath=/shared/ft", "gateway.apiKeys.values[0]=sk-one",
            "gateway.tenants.acme.values[0]=sk-acme", "finetune.settings.MaxFileBytes=10485760", "decode.engine.MaxLoraRank=32");
        var finetune = Deployment(rendered, "-finetune");
        Assert.Equal(1L, (long)finetune["spec"]!["replicas"]!);
        Assert.Equal("Recreate", (string?)finetune["spec"]!["strategy"]!["type"]);
        Assert.Equal("platform/finetune:0.1.0", (string?)finetune["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]);

        // Every Gateway setting (mode, routing, instances, keys from Secrets, bus, connections) as the Gateway has it.
        var gateway = Env(Deployment(rendered, "-gateway"));
        var env = Env(finetune);
        var shared = gateway.Keys.Where(k => k.StartsWith("Gateway__", StringComparison.Ordinal) || k.StartsWith("Bus__", StringComparison.Ordinal)
            || k.StartsWith("ConnectionStrings__", StringComparison.Ordinal) || k.StartsWith("ChunkStore__", StringComparison.Ordinal)).ToList();
        Assert.Contains("Gateway__ApiKeys__0", shared);
        Assert.Contains("Gateway__Tenants__acme__ApiKeys__0", shared);
        Assert.Contains("Gateway__Decode__Instances__1__AppId", shared);
        foreach (var key in shared)
        {
            Assert.True(env.TryGetValue(key, out var value), $"the fine-tuning service lacks {key}");
            Assert.Equal(gateway[key], value);
        }
        Assert.Equal("\"Split\"", env["Gateway__Mode"]);
        Assert.Equal("\"/shared/ft\"", env["Finetune__DataPath"]);
        Assert.Equal("\"10485760\"", env["Finetune__MaxFileBytes"]);
        Assert.Equal("\"11534336\"", env["Kestrel__Limits__MaxRequestBodySize"]);
        Assert.Equal("\"32\"", env["Engine__MaxLoraRank"]);

        // One ReadWriteMany claim at the same path on the service and on every Prefill and Decode pod.
        var claim = Assert.Single(OfKind(rendered, "PersistentVolumeClaim"));
        Assert.Equal(["ReadWriteMany"], claim["spec"]!["accessModes"]!.AsArray().Select(m => (string)m!).ToArray());
        foreach (var suffix in new[] { "-finetune", "-prefill", "-decode-0", "-decode-1" })
        {
            Assert.Equal(Name(claim), ClaimMountedAt(Deployment(rendered, suffix), "/shared/ft"));
        }
        Assert.Null(ClaimMountedAt(Deployment(rendered, "-gateway"), "/shared/ft"));
    }

    [SkippableFact]
    public async Task ClientsReachItThroughTheIngressAndItReachesDecodeThroughDapr()
    {
        var rendered = await RenderAsync("finetune.enabled=true", "finetune.ingressHost=ft.platform.local");
        var service = Name(OfKind(rendered, "Service").Single(s => Name(s).EndsWith("-finetune", StringComparison.Ordinal)));

        var ingress = OfKind(rendered, "Ingress").Single(i => Name(i).EndsWith("-finetune", StringComparison.Ordinal));
        var rules = ingress["spec"]!["rules"]!.AsArray();
        var routes = rules.SelectMany(r => r!["http"]!["paths"]!.AsArray().Select(p => ((string)r["host"]!, (string)p!["path"]!, (string)p["backend"]!["service"]!["name"]!))).ToList();
        Assert.Contains(("platform.local", "/v1/files", service), routes);
        Assert.Contains(("platform.local", "/v1/fine_tuning", service), routes);
        Assert.Contains(("ft.platform.local", "/v1", service), routes);
        Assert.Contains("ft.platform.local", ingress["spec"]!["tls"]![0]!["hosts"]!.AsArray().Select(h => (string)h!));
        // Training files up to Finetune:MaxFileBytes (64 MiB) pass the ingress, unlike the Gateway's 8m.
        Assert.Equal("65m", (string?)ingress["metadata"]!["annotations"]!["nginx.ingress.kubernetes.io/proxy-body-size"]);
        var gatewayIngress = OfKind(rendered, "Ingress").Single(i => Name(i).EndsWith("-gateway", StringComparison.Ordinal));
        Assert.Equal("/v1", (string?)Assert.Single(gatewayIngress["spec"]!["rules"]![0]!["http"]!["paths"]!.AsArray())!["path"]);

        var policy = OfKind(rendered, "NetworkPolicy").Single(p => Name(p).EndsWith("-finetune", StringComparison.Ordinal));
        Assert.Equal("finetune", (string?)policy["spec"]!["podSelector"]!["matchLabels"]!["app.kubernetes.io/component"]);
        Assert.Equal("ingress-nginx", (string?)policy["spec"]!["ingress"]![0]!["from"]![0]!["namespaceSelector"]!["matchLabels"]!["kubernetes.io/metadata.name"]);

        var finetune = Deployment(rendered, "-finetune");
        var appId = (string)finetune["spec"]!["template"]!["metadata"]!["annotations"]!["dapr.io/app-id"]!;
        var dapr = Assert.Single(OfKind(rendered, "Configuration"));
        Assert.Contains(appId, dapr["spec"]!["accessControl"]!["policies"]!.AsArray().Select(p => (string)p!["appId"]!));
    }

    [SkippableFact]
    public async Task AnExistingClaimIsUsedAndNoneCreated()
    {
        var rendered = await RenderAsync("finetune.enabled=true", "finetune.storage.existingClaim=ft-shared");
        Assert.Empty(OfKind(rendered, "PersistentVolumeClaim"));
        Assert.Equal("ft-shared", ClaimMountedAt(Deployment(rendered, "-decode-0"), "/data/finetune"));
        Assert.Equal("ft-shared", ClaimMountedAt(Deployment(rendered, "-finetune"), "/data/finetune"));
    }

    [SkippableFact]
    public async Task OffByDefaultWithNothingOfItRendered()
    {
        var rendered = await RenderAsync();
        Assert.DoesNotContain(rendered, d => d is not null && ((string?)d["metadata"]?["name"])?.EndsWith("-finetune", StringComparison.Ordinal) == true);
        Assert.Empty(OfKind(rendered, "PersistentVolumeClaim"));
        Assert.Null(ClaimMountedAt(Deployment(rendered, "-decode-0"), "/data/finetune"));
        Assert.Null(ClaimMountedAt(Deployment(rendered, "-prefill"), "/data/finetune"));
    }

    [SkippableFact]
    public async Task LocalModeIsRefusedWithTheReason()
    {
        var helm = HelmChart.Helm();
        Skip.If(helm is null, HelmChart.MissingHelm);
        var (code, output) = await helm!.RunAsync(RepositoryPaths.Root, "template", "test", RepositoryPaths.Chart, "--set", "finetune.enabled=true", "--set", "gateway.mode=Local");
        Assert.NotEqual(0, code);
        Assert.Contains("finetune.enabled needs gateway.mode Split", output, StringComparison.Ordinal);
    }
}
