using System.Text.Json.Nodes;

namespace Platform.Deployment.Tests;

/// <summary>The request bus, LoRA and chunk store settings as the chart renders them into the pods and KEDA.</summary>
public sealed class HelmBusWiringTests
{
    private static async Task<IReadOnlyList<JsonNode?>> RenderAsync(params string[] sets)
    {
        var helm = HelmChart.Helm();
        Skip.If(helm is null, HelmChart.MissingHelm);
        return await HelmChart.RenderAsync(helm!, sets);
    }

    private static Dictionary<string, JsonNode?> Env(IReadOnlyList<JsonNode?> rendered, string deployment) =>
        rendered.Single(d => (string?)d!["kind"] == "Deployment" && ((string)d["metadata"]!["name"]!).EndsWith(deployment, StringComparison.Ordinal))!
            ["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]!.AsArray()
            .ToDictionary(e => (string)e!["name"]!, e => e!["value"] ?? e["valueFrom"], StringComparer.Ordinal);

    [SkippableFact]
    public async Task TheGatewayDispatchesThroughTheBusThePrefillWorkersConsume()
    {
        var rendered = await RenderAsync();
        var gateway = Env(rendered, "-gateway");
        var prefill = Env(rendered, "-prefill");
        Assert.Equal("Bus", (string?)gateway["Gateway__Dispatch"]);
        foreach (var env in new[] { gateway, prefill })
        {
            Assert.Equal("Kafka", (string?)env["Bus__Kind"]);
            Assert.Equal("prefill", (string?)env["Bus__ConsumerGroup"]);
            Assert.Equal("platform", (string?)env["Bus__Prefix"]);
            Assert.True(env.ContainsKey("ConnectionStrings__kafka"));
            Assert.Equal("00:00:02", (string?)env["ChunkStore__ReadTimeout"]);
        }
        Assert.Matches("^http://[a-z0-9-]+-kvstore:8081$", (string?)gateway["ConnectionStrings__kvstore"]);
        Assert.Equal("8", (string?)prefill["Engine__MaxLoras"]);
        Assert.Equal("16", (string?)Env(rendered, "-decode-0")["Engine__MaxLoraRank"]);

        // KEDA scales the workers on the lag of the topic and group they really consume, and the wait they measure.
        var prefillScaler = rendered.Single(d => (string?)d!["kind"] == "ScaledObject" && ((string)d["metadata"]!["name"]!).EndsWith("-prefill", StringComparison.Ordinal))!;
        var triggers = prefillScaler["spec"]!["triggers"]!.AsArray();
        var kafka = triggers.Single(t => (string?)t!["type"] == "kafka")!["metadata"]!;
        Assert.Equal("platform.requests", (string?)kafka["topic"]);
        Assert.Equal("prefill", (string?)kafka["consumerGroup"]);
        Assert.Contains("bus_queue_seconds_sum{component=\"prefill\"", (string)triggers.Single(t => (string?)t!["type"] == "prometheus")!["metadata"]!["query"]!, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task RedisStreamsAndDirectDispatchAreValuesSwitches()
    {
        var rendered = await RenderAsync("bus.kind=RedisStreams", "bus.prefix=p1", "bus.consumerGroup=workers", "gateway.dispatch=Direct");
        Assert.Equal("Direct", (string?)Env(rendered, "-gateway")["Gateway__Dispatch"]);
        Assert.Equal("RedisStreams", (string?)Env(rendered, "-prefill")["Bus__Kind"]);
        var triggers = rendered.Single(d => (string?)d!["kind"] == "ScaledObject" && ((string)d["metadata"]!["name"]!).EndsWith("-prefill", StringComparison.Ordinal))!
            ["spec"]!["triggers"]!.AsArray();
        var streams = triggers.Single(t => (string?)t!["type"] == "redis-streams")!["metadata"]!;
        Assert.Equal("p1.requests", (string?)streams["stream"]);
        Assert.Equal("workers", (string?)streams["consumerGroup"]);
        Assert.Contains("ttft_queue_seconds_sum", (string)triggers.Single(t => (string?)t!["type"] == "prometheus")!["metadata"]!["query"]!, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task AdminAndTenantKeysComeFromSecrets()
    {
        var rendered = await RenderAsync("gateway.adminApiKeys.values[0]=sk-admin", "gateway.tenants.acme.values[0]=sk-acme",
            "gateway.tenants.acme.manageAdapters=true", "gateway.tenants.beta.existingSecret=beta-keys", "gateway.tenants.beta.secretKeys[0]=key");
        var gateway = Env(rendered, "-gateway");
        Assert.Equal("admin-key-0", (string?)gateway["Gateway__AdminApiKeys__0"]!["secretKeyRef"]!["key"]);
        Assert.Equal("tenant-acme-key-0", (string?)gateway["Gateway__Tenants__acme__ApiKeys__0"]!["secretKeyRef"]!["key"]);
        Assert.Equal("true", (string?)gateway["Gateway__Tenants__acme__ManageAdapters"]);
        Assert.Equal("beta-keys", (string?)gateway["Gateway__Tenants__beta__ApiKeys__0"]!["secretKeyRef"]!["name"]);
        Assert.False(gateway.ContainsKey("Gateway__Tenants__beta__ManageAdapters"));
        var secret = rendered.Single(d => (string?)d!["kind"] == "Secret" && ((string)d["metadata"]!["name"]!).EndsWith("-api-keys", StringComparison.Ordinal))!;
        Assert.Equal("sk-admin", (string?)secret["stringData"]!["admin-key-0"]);
        Assert.Equal("sk-acme", (string?)secret["stringData"]!["tenant-acme-key-0"]);
    }
}
