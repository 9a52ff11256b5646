using System.Net;
using Platform.Tokenizers;

namespace Platform.Gateway.Tests;

/// <summary>503 while the backend cannot serve, 500 without internals when it fails.</summary>
public sealed class BackendFailureTests
{
    [SkippableFact]
    public async Task NotReadyBackendIs503AndNotReadyButAlive()
    {
        await using var server = await GatewayServer.StartAsync(null, null, new LoadingBackend());
        var (status, body) = await Json.PostAsync(server.Http, "/v1/chat/completions", new { messages = new[] { new { role = "user", content = "hi" } } });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Json.AssertError(body, code: "model_not_ready");
        using var models = await server.Http.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, models.StatusCode);

        using var health = await server.Http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Contains("the model is loading", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var alive = await server.Http.GetAsync("/alive");
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }

    [SkippableFact]
    public async Task UnexpectedFailureIs500WithoutInternals()
    {
        var tokenizer = Tokenizer.FromDirectory(TestModels.RequireStories260K());
        await using var server = await GatewayServer.StartAsync(null, null, new FailingBackend(tokenizer));
        for (int i = 0; i < 2; i++)
        {
            using var response = await server.Http.PostAsync("/v1/completions",
                new StringContent("{\"prompt\": \"hi\"}", System.Text.Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Json.AssertError(System.Text.Json.Nodes.JsonNode.Parse(text)!);
            Assert.DoesNotContain("secret", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("InvalidOperationException", text, StringComparison.Ordinal);
        }
    }
}
