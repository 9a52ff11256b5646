using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Platform.Deployment.Tests;

/// <summary>values.yaml (and the example values) against values.schema.json, and wrong values refused by it.</summary>
public sealed class ChartValuesSchemaTests
{
    private static readonly JsonSchema Schema = JsonSchema.FromText(File.ReadAllText(Path.Combine(RepositoryPaths.Chart, "values.schema.json")));

    private static JsonNode DefaultValues() => YamlDocuments.ToJson(File.ReadAllText(Path.Combine(RepositoryPaths.Chart, "values.yaml")))!;

    private static EvaluationResults Evaluate(JsonNode values) =>
        Schema.Evaluate(JsonDocument.Parse(values.ToJsonString()).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });

    private static string Errors(EvaluationResults results) => string.Join('\n',
        (results.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));

    [Fact]
    public void DefaultValuesSatisfyTheSchema()
    {
        var results = Evaluate(DefaultValues());
        Assert.True(results.IsValid, Errors(results));
    }

    [Fact]
    public void TheLocalClusterValuesSatisfyTheSchema()
    {
        var values = DefaultValues();
        var overrides = YamlDocuments.ToJson(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "infra", "cluster", "values-kind.yaml")))!;
        Merge(values.AsObject(), overrides.AsObject());
        var results = Evaluate(values);
        Assert.True(results.IsValid, Errors(results));
    }

    [Fact]
    public void TheFineTuningServiceValuesSatisfyTheSchema()
    {
        var values = DefaultValues();
        Merge(values.AsObject(), JsonNode.Parse("""
            {"finetune": {"enabled": true, "dataPath": "/shared/ft", "ingressHost": "ft.platform.local",
              "storage": {"existingClaim": "ft-shared", "storageClass": "nfs", "size": "500Gi"},
              "settings": {"PlacementTimeout": "00:30:00", "TargetIterationMs": 0, "MaxFileBytes": 1048576}}}
            """)!.AsObject());
        var results = Evaluate(values);
        Assert.True(results.IsValid, Errors(results));
    }

    [Theory]
    [InlineData("/bus/kind", "\"Nats\"")]
    [InlineData("/gateway/mode", "\"Both\"")]
    [InlineData("/decode/instances", "0")]
    [InlineData("/decode/engine/DType", "\"fp8\"")]
    [InlineData("/prefill/engine/KvCacheBytes", "\"lots\"")]
    [InlineData("/prefill/engine/KvCachBytes", "1024")]
    [InlineData("/dapr/maxBodySize", "\"big\"")]
    [InlineData("/model/existingClaim", "\"models\"")]
    [InlineData("/image/torchBackend", "\"rocm\"")]
    [InlineData("/gatewy", "{}")]
    [InlineData("/gateway/routing/loadPollInterval", "\"1s\"")]
    [InlineData("/kafka/strimzi/create", "false")]
    [InlineData("/decode/autoscaling/kvUsageHigh", "1.5")]
    [InlineData("/gateway/dispatch", "\"Kafka\"")]
    [InlineData("/gateway/tenants", "{\"bad name\": {\"values\": [\"sk\"]}}")]
    [InlineData("/gateway/tenants", "{\"acme\": {\"keys\": [\"sk\"]}}")]
    [InlineData("/gateway/adminApiKeys/values", "[\"\"]")]
    [InlineData("/chunkStore/ReadTimeout", "\"2s\"")]
    [InlineData("/chunkStore/ChunkToken", "256")]
    [InlineData("/decode/engine/MaxLoraRank", "0")]
    [InlineData("/finetune/enabled", "\"yes\"")]
    [InlineData("/finetune/replicas", "2")]
    [InlineData("/finetune/dataPath", "\"data/finetune\"")]
    [InlineData("/finetune/storage/size", "\"lots\"")]
    [InlineData("/finetune/storage/accessMode", "\"ReadWriteOnce\"")]
    [InlineData("/finetune/settings/PlacementTimeout", "\"10m\"")]
    [InlineData("/finetune/settings/CheckpointEverySteps", "0")]
    [InlineData("/finetune/settings/MaxForwardToken", "256")]
    [InlineData("/finetune/ingressHost", "\"Not A Host\"")]
    public void WrongValuesAreRefused(string pointer, string json)
    {
        var values = DefaultValues();
        Set(values, pointer, JsonNode.Parse(json));
        Assert.False(Evaluate(values).IsValid, $"{pointer} = {json} was accepted");
    }

    private static void Set(JsonNode root, string pointer, JsonNode? value)
    {
        var parts = pointer.Trim('/').Split('/');
        var node = root;
        foreach (var part in parts[..^1])
        {
            node = node[part] ?? throw new ArgumentException($"{pointer}: no {part}");
        }
        node.AsObject()[parts[^1]] = value;
    }

    private static void Merge(JsonObject target, JsonObject overrides)
    {
        foreach (var (key, value) in overrides.ToList())
        {
            if (value is JsonObject o && target[key] is JsonObject t)
            {
                Merge(t, o);
            }
            else
            {
                target[key] = value?.DeepClone();
            }
        }
    }
}
