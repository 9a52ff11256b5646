using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.RequestBus;

namespace Platform.Gateway.Tests;

/// <summary>
/// The all-in-one Gateway with <c>Gateway:Dispatch Bus</c> (its default): every request through the in-process bus
/// to this process's engine, with the bus's contract: the same answers as direct dispatch, one usage event per request,
/// 429 with Retry-After past the lag limit, 504 past the deadline, 400 for input the engine refuses.
/// </summary>
public sealed class LocalBusDispatchTests
{
    private static readonly object Prompt = new { prompt = "Once upon a time", max_tokens = 8, temperature = 0 };

    private static Dictionary<string, string?> BusSettings(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?> { ["Gateway:Dispatch"] = "Bus", ["Gateway:Bus:LagPollInterval"] = "00:00:00.020" };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }
        return settings;
    }

    [SkippableFact]
    public async Task RequestsThroughTheInProcessBusAnswerAsDirectDispatchWithOneUsageEventEach()
    {
        var dir = TestModels.RequireStories260K();
        string direct;
        await using (var plain = await GatewayServer.StartAsync(dir, new Dictionary<string, string?> { ["Gateway:Dispatch"] = "Direct" }))
        {
            var (status, body) = await Json.PostAsync(plain.Http, "/v1/completions", Prompt);
            Assert.Equal(HttpStatusCode.OK, status);
            direct = Json.Text(body);
        }

        // The all-in-one default; Bus:Kind names Split mode's transport and does not change it.
        await using var server = await GatewayServer.StartAsync(dir, new Dictionary<string, string?>
        {
            ["Gateway:Bus:LagPollInterval"] = "00:00:00.020",
            ["Bus:Kind"] = "RedisStreams",
        });
        var bus = server.Services.GetRequiredService<IRequestBus>();
        Assert.Equal(BusKind.InProcess, bus.Kind);
        Assert.IsType<Platform.Gateway.Bus.Local.LocalBusBackend>(server.Services.GetRequiredService<Platform.Gateway.Backend.IGenerationBackend>());
        var answers = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Json.PostAsync(server.Http, "/v1/completions", Prompt)));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.All(answers, a => Assert.Equal(direct, Json.Text(a.Body)));
        var streamed = await Json.StreamAsync(server.Http, "/v1/completions", new { prompt = "Once upon a time", max_tokens = 8, temperature = 0, stream = true });
        Assert.NotEmpty(streamed);

        // Every request acknowledged (the lag is back to 0) and billed once.
        using var cts = new CancellationTokenSource(GatewayServer.Timeout);
        while (await bus.GetLagAsync(cts.Token) != 0 || (await bus.ReadUsageEventsAsync(cts.Token)).Count < 4)
        {
            await Task.Delay(20, cts.Token);
        }
        var usage = await bus.ReadUsageEventsAsync(cts.Token);
        Assert.Equal(4, usage.Count);
        Assert.Equal(4, usage.Select(u => u.RequestId).Distinct().Count());
        Assert.All(usage, u => Assert.Equal(8, u.CompletionTokens));
        Assert.All(usage, u => Assert.Equal("default", u.Tenant));
    }

    [SkippableFact]
    public async Task PastTheLagLimitNewRequestsGet429WithRetryAfterAndServingResumesWhenItDrains()
    {
        var dir = TestModels.RequireStories260K();
        await using var server = await GatewayServer.StartAsync(dir, BusSettings(("Gateway:Bus:MaxLag", "0")));
        var bus = server.Services.GetRequiredService<IRequestBus>();

        // A long streamed request holds its bus message unacknowledged while it runs.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = JsonContent.Create(new { prompt = "Once upon a time", max_tokens = 400, ignore_eos = true, stream = true }),
        };
        var running = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, running.StatusCode);
        await WaitForLagAsync(server, bus, lag => lag > 0);

        using var refused = await server.Http.PostAsJsonAsync("/v1/completions", Prompt);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter);
        Json.AssertError((await refused.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonNode>())!, code: "bus_backed_up");

        // The client leaves: the request is cancelled, acknowledged, and new requests are served again.
        running.Dispose();
        await WaitForLagAsync(server, bus, lag => lag == 0);
        var (status, _) = await Json.PostAsync(server.Http, "/v1/completions", Prompt);
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [SkippableFact]
    public async Task ARequestPastItsDeadlineIs504AndInputTheEngineRefusesIs400()
    {
        var dir = TestModels.RequireStories260K();
        await using (var expiring = await GatewayServer.StartAsync(dir, BusSettings(("Gateway:Bus:Deadline", "00:00:00.000001"))))
        {
            var (status, body) = await Json.PostAsync(expiring.Http, "/v1/completions", Prompt);
            Assert.Equal(HttpStatusCode.GatewayTimeout, status);
            Json.AssertError(body, code: "deadline_exceeded");
        }

        await using var server = await GatewayServer.StartAsync(dir, BusSettings());
        var (badStatus, badBody) = await Json.PostAsync(server.Http, "/v1/completions", new { prompt = new[] { 1, 999_999 }, max_tokens = 2 });
        Assert.Equal(HttpStatusCode.BadRequest, badStatus);
        Json.AssertError(badBody);
        var (okStatus, _) = await Json.PostAsync(server.Http, "/v1/completions", Prompt);
        Assert.Equal(HttpStatusCode.OK, okStatus);
    }

    [Fact]
    public async Task ASplitGatewayRefusesAnInProcessBusNoPrefillWorkerCouldConsume()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => GatewayServer.StartAsync("/nonexistent", new Dictionary<string, string?>
        {
            ["Gateway:Mode"] = "Split",
            ["Gateway:Dispatch"] = "Bus",
            ["Gateway:Prefill:Instances:0:Name"] = "prefill-0",
            ["Gateway:Prefill:Instances:0:Address"] = "http://127.0.0.1:1",
            ["Gateway:Decode:Instances:0:Name"] = "decode-0",
            ["Gateway:Decode:Instances:0:Address"] = "http://127.0.0.1:2",
        }));
        Assert.Contains("RedisStreams or Kafka", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Waits until the Gateway's lag monitor (what 429 reads) and the bus agree on the condition.</summary>
    private static async Task WaitForLagAsync(GatewayServer server, IRequestBus bus, Func<long, bool> condition)
    {
        var monitor = server.Services.GetRequiredService<Platform.Gateway.Bus.BusLagMonitor>();
        using var cts = new CancellationTokenSource(GatewayServer.Timeout);
        while (!condition(await bus.GetLagAsync(cts.Token)) || !condition(monitor.Current))
        {
            await Task.Delay(10, cts.Token);
        }
    }
}
