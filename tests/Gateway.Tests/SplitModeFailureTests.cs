using System.Net;
using System.Text.Json.Nodes;

namespace Platform.Gateway.Tests;

/// <summary>Split mode when instances are down or die: OpenAI-shaped 503s and error events, never a hang.</summary>
public sealed class SplitModeFailureTests
{
    [SkippableFact]
    public async Task With_every_instance_down_requests_get_503_in_OpenAI_shape_and_health_still_answers()
    {
        var dir = TestModels.RequireStories260K();
        // Nothing listens on these ports: every GetLoad fails.
        var settings = SplitGatewayFixture.SplitSettings($"http://127.0.0.1:{ServiceProcess.FreePort()}", $"http://127.0.0.1:{ServiceProcess.FreePort()}");
        await using var server = await GatewayServer.StartAsync(dir, settings);
        for (int i = 0; i < 2; i++)
        {
            var (status, body) = await Json.PostAsync(server.Http, "/v1/chat/completions",
                new { messages = new[] { new { role = "user", content = "hi" } }, max_tokens = 4 });
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            var error = Json.AssertError(body, code: "model_not_ready");
            Assert.Contains("no healthy prefill instance", (string)error["message"]!, StringComparison.Ordinal);
        }
        using var health = await server.Http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.StartsWith("Degraded", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var models = await server.Http.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.OK, models.StatusCode);
    }

    [SkippableFact]
    public async Task A_decode_process_killed_mid_stream_ends_the_stream_with_an_error_event()
    {
        var dir = TestModels.RequireStories260K();
        var prefillStart = ServiceProcess.StartAsync("Prefill", dir);
        using var decode = await ServiceProcess.StartAsync("Decode", dir);
        using var prefill = await prefillStart;
        await using var server = await GatewayServer.StartAsync(dir, SplitGatewayFixture.SplitSettings(prefill.Address, decode.Address));
        await SplitGatewayFixture.WaitForInstancesAsync(server);

        using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl), Timeout = TimeSpan.FromSeconds(60) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { prompt = "Once upon a time", max_tokens = 480, ignore_eos = true, stream = true }),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.StartsWith("data: {", await reader.ReadLineAsync());
        decode.Kill();

        var rest = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var events = rest.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e.Trim()).ToList();
        Assert.Equal("data: [DONE]", events[^1]);
        var error = JsonNode.Parse(events[^2]["data: ".Length..])!;
        Json.AssertError(error, code: "engine_error");
    }
}
