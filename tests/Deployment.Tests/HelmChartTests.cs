using k8s;
using k8s.Models;

namespace Platform.Deployment.Tests;

/// <summary>helm lint and helm template, and the rendered manifests read back strictly as Kubernetes objects.</summary>
public sealed class HelmChartTests
{
    /// <summary>Custom resources the chart renders for its prerequisites' operators (no C# models to read them into).</summary>
    private static readonly HashSet<string> CustomResources = new(StringComparer.Ordinal)
    {
        "keda.sh/v1alpha1/ScaledObject", "dapr.io/v1alpha1/Configuration", "monitoring.coreos.com/v1/PodMonitor",
        "monitoring.coreos.com/v1/PrometheusRule", "kafka.strimzi.io/v1beta2/Kafka", "kafka.strimzi.io/v1beta2/KafkaNodePool",
    };

    public static TheoryData<string> Variants => new()
    {
        "",
        "gateway.mode=Local,gateway.gpu.count=1,image.torchBackend=cuda",
        "image.torchBackend=cuda,prefill.gpu.count=1,decode.gpu.count=2,decode.instances=4,decode.minInstances=2",
        "bus.kind=RedisStreams,kafka.strimzi.create=false,redis.deploy=false,connectionStrings.redis=redis.example:6379",
        "gateway.apiKeys.values[0]=sk-one,gateway.apiKeys.values[1]=sk-two,ingress.tls.enabled=false",
        "dapr.enabled=false,networkPolicy.enabled=false,metrics.podMonitor.enabled=false,prefill.autoscaling.enabled=false,decode.autoscaling.enabled=false",
        "model.hostPath=,model.existingClaim=models,model.subPath=llama,kvstore.enabled=false",
        "gateway.dispatch=Direct,gateway.adminApiKeys.values[0]=sk-admin,gateway.tenants.acme.values[0]=sk-acme,gateway.tenants.acme.manageAdapters=true,prefill.engine.MaxLoras=4",
        "finetune.enabled=true,finetune.ingressHost=ft.platform.local,finetune.storage.storageClass=nfs,gateway.apiKeys.values[0]=sk-one",
        "finetune.enabled=true,finetune.storage.existingClaim=ft-shared,ingress.enabled=false,dapr.enabled=false,networkPolicy.enabled=false",
    };

    [SkippableFact]
    public async Task LintPasses()
    {
        var helm = HelmChart.Helm();
        Skip.If(helm is null, HelmChart.MissingHelm);
        var (code, output) = await helm!.RunAsync(RepositoryPaths.Root, "lint", RepositoryPaths.Chart, "--strict");
        Assert.True(code == 0, output);
    }

    [SkippableTheory]
    [MemberData(nameof(Variants))]
    public async Task RendersValidKubernetesObjects(string sets)
    {
        var helm = HelmChart.Helm();
        Skip.If(helm is null, HelmChart.MissingHelm);
        var text = await HelmChart.RenderTextAsync(helm!, sets.Length == 0 ? [] : sets.Split(','));
        CheckRendered(text);
    }

    /// <summary>What infra/cluster/up.sh installs: its kind values and the same --set flags.</summary>
    [SkippableFact]
    public async Task RendersTheLocalClusterInstall()
    {
        var helm = HelmChart.Helm();
        Skip.If(helm is null, HelmChart.MissingHelm);
        string[] sets =
        [
            "model.servedModelName=stories260K", "gateway.apiKeys.existingSecret=platform-api-keys",
            "gateway.apiKeys.secretKeys[0]=api-key-0",
            @"prefill.nodeSelector.platform\.io/pool=prefill", @"decode.nodeSelector.platform\.io/pool=decode",
        ];
        var text = await HelmChart.RenderTextAsync(helm!, sets, Path.Combine(RepositoryPaths.Root, "infra", "cluster", "values-kind.yaml"));
        var deployments = CheckRendered(text).OfType<V1Deployment>().ToList();
        foreach (var (pool, prefix) in new[] { ("prefill", "test-platform-prefill"), ("decode", "test-platform-decode") })
        {
            var pods = deployments.Where(d => d.Metadata.Name.StartsWith(prefix, StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(pods);
            Assert.All(pods, d => Assert.Equal(pool, d.Spec.Template.Spec.NodeSelector?["platform.io/pool"]));
        }
    }

    /// <summary>Every document read back (custom resources loosely, the rest strictly); the built-in objects.</summary>
    private static List<IKubernetesObject> CheckRendered(string text)
    {
        var documents = text.Split("\n---", StringSplitOptions.RemoveEmptyEntries).Where(d => d.Contains("kind:", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(documents);
        var kinds = new List<string>();
        var builtIn = new List<IKubernetesObject>();
        foreach (var document in documents)
        {
            var node = YamlDocuments.ToJson(document)!;
            var type = $"{node["apiVersion"]}/{node["kind"]}";
            kinds.Add((string)node["kind"]!);
            Assert.False(string.IsNullOrEmpty((string?)node["metadata"]?["name"]), $"{type} without a name");
            if (CustomResources.Contains(type))
            {
                Assert.NotNull(node["spec"]);
                continue;
            }
            // Strict: a field Kubernetes does not know (a typo, a wrong nesting) fails here.
            var objects = KubernetesYaml.LoadAllFromString(document, strict: true);
            var obj = Assert.IsAssignableFrom<IKubernetesObject>(Assert.Single(objects));
            builtIn.Add(obj);
            if (obj is V1Deployment deployment)
            {
                CheckDeployment(deployment);
            }
        }
        Assert.Contains("Deployment", kinds);
        return builtIn;
    }

    [SkippableFact]
    public async Task TheSchemaRefusesWrongValuesAtInstall()
    {
        var helm = HelmChart.Helm();
        Skip.If(helm is null, HelmChart.MissingHelm);
        var (code, output) = await helm!.RunAsync(RepositoryPaths.Root, "template", "test", RepositoryPaths.Chart, "--set", "bus.kind=Nats");
        Assert.NotEqual(0, code);
        Assert.Contains("bus", output, StringComparison.Ordinal);
    }

    private static void CheckDeployment(V1Deployment deployment)
    {
        var pod = deployment.Spec.Template.Spec;
        var name = deployment.Metadata.Name;
        Assert.True(pod.SecurityContext?.RunAsNonRoot == true, $"{name} runs as root");
        // What the API server refuses and a strict deserialization lets through: a volume name or a mount path twice.
        var volumes = (pod.Volumes ?? []).Select(v => v.Name).ToList();
        Assert.True(volumes.Count == volumes.Distinct().Count(), $"{name} declares a volume twice: {string.Join(", ", volumes)}");
        foreach (var container in pod.Containers)
        {
            var paths = (container.VolumeMounts ?? []).Select(m => m.MountPath).ToList();
            Assert.True(paths.Count == paths.Distinct().Count(), $"{name}/{container.Name} mounts a path twice: {string.Join(", ", paths)}");
            Assert.All(container.VolumeMounts ?? [], m => Assert.Contains(m.Name, volumes));
        }
        if (pod.Containers is [{ Name: "redis" } redis])
        {
            Assert.Contains("allkeys-lru", redis.Args);
            return;
        }
        Assert.NotNull(pod.TerminationGracePeriodSeconds);
        foreach (var container in pod.Containers)
        {
            Assert.NotNull(container.Resources);
            Assert.Equal("/health", container.ReadinessProbe?.HttpGet?.Path);
            Assert.Equal("/alive", container.LivenessProbe?.HttpGet?.Path);
            Assert.NotNull(container.Lifecycle?.PreStop);
            var annotations = deployment.Spec.Template.Metadata.Annotations ?? new Dictionary<string, string>();
            if (annotations.TryGetValue("dapr.io/enabled", out var dapr) && dapr == "true")
            {
                Assert.True(annotations.ContainsKey("dapr.io/app-id"), $"{name} has no Dapr app id");
                Assert.Equal("16Mi", annotations["dapr.io/max-body-size"]);
                if (container.Name is "prefill" or "decode")
                {
                    Assert.Equal("grpc", annotations["dapr.io/app-protocol"]);
                }
            }
        }
    }
}
