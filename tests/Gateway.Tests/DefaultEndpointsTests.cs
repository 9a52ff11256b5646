using System.Net;
using System.Text.Json.Nodes;

namespace Platform.Gateway.Tests;

/// <summary>/alive, /health, /metrics and /v1/models on the all-in-one Gateway.</summary>
[Collection(StoriesGatewayCollection.Name)]
public sealed class DefaultEndpointsTests(StoriesGatewayFixture fixture)
{
    [SkippableFact]
    public async Task AliveAndHealthAreHealthyOnceTheModelIsLoaded()
    {
        foreach (var path in new[] { "/alive", "/health" })
        {
            using var response = await fixture.Server.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("Healthy", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public async Task ModelsListsTheServedModel()
    {
        var list = JsonNode.Parse(await fixture.Server.Http.GetStringAsync("/v1/models"))!;
        Assert.Equal("list", (string)list["object"]!);
        var model = list["data"]![0]!;
        Assert.Equal("stories", (string)model["id"]!);
        Assert.Equal("model", (string)model["object"]!);
        Assert.Equal("platform", (string)model["owned_by"]!);
        Assert.Equal(512, (int)model["max_model_len"]!);
        Assert.True((long)model["created"]! > 1_600_000_000);

        var sdkModel = await fixture.Server.Sdk().GetOpenAIModelClient().GetModelAsync("stories");
        Assert.Equal("stories", sdkModel.Value.Id);
    }

    [SkippableFact]
    public async Task MetricsNameTheVllmStyleInstruments()
    {
        var (_, _) = await Json.PostAsync(fixture.Server.Http, "/v1/completions", new { prompt = "Once upon a time", max_tokens = 3 });
        var (_, _) = await Json.PostAsync(fixture.Server.Http, "/v1/completions", new { model = "nope", prompt = "x" });
        using var response = await fixture.Server.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        foreach (var name in new[]
        {
            "time_to_first_token_seconds_bucket", "inter_token_latency_seconds_bucket", "e2e_request_latency_seconds_bucket",
            "prompt_tokens_total", "generation_tokens_total", "request_success_total{", "finished_reason=\"length\"",
            "gateway_request_errors_total{", "status_code=\"404\"",
            "num_requests_running", "num_requests_waiting", "kv_cache_usage_perc", "prefix_cache_queries_total",
            "prefix_cache_hits_total", "num_preemptions_total",
        })
        {
            Assert.Contains(name, text, StringComparison.Ordinal);
        }
    }
}
