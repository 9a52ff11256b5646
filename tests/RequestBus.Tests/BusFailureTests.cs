using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.RequestBus.Tests;

/// <summary>
/// Real processes on loopback: a poison request goes to the dead-letter topic, an expired one is not computed,
/// and a backed-up bus answers 429; each client sees a clear OpenAI-shaped error, and the Gateway keeps serving.
/// A request served through the bus reports its time to first token in parts and the prompt tokens its worker
/// reused, as a directly dispatched one does.
/// </summary>
public sealed class BusFailureTests(FailureFixture fixture) : IClassFixture<FailureFixture>
{
    private BusProcesses Processes => fixture.Processes;

    private ServiceProcess Worker => Processes.Workers[0];

    [SkippableFact]
    public async Task A_request_that_fails_every_delivery_goes_to_the_dead_letter_topic_and_its_client_gets_an_error()
    {
        Processes.Require();
        // Longer than the worker's engine takes (24 tokens), though the Gateway accepts it: it fails on every delivery.
        using var response = await Http.CompleteAsync(Processes.Gateway.Http, string.Join(' ', Enumerable.Repeat("Once upon a time there was a cat.", 6)));
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var error = await Http.ErrorAsync(response);
        Assert.Equal("request_dead_lettered", error.GetProperty("code").GetString());
        Assert.Contains("dead-letter", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        var letters = await Processes.Bus.ReadDeadLettersAsync();
        var letter = Assert.Single(letters);
        Assert.Equal(2, letter.Deliveries);
        Assert.Contains("InvalidArgument", letter.Reason, StringComparison.Ordinal);
        await AssertStillServesAsync();
    }

    [SkippableFact]
    public async Task A_request_past_its_deadline_is_not_computed_and_its_client_gets_504()
    {
        Processes.Require();
        Worker.Pause();
        HttpResponseMessage response;
        try
        {
            response = await Http.CompleteAsync(Processes.Gateway.Http, "Once upon a time");
        }
        finally
        {
            Worker.Resume();
        }
        using (response)
        {
            Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
            var error = await Http.ErrorAsync(response);
            Assert.Equal("deadline_exceeded", error.GetProperty("code").GetString());
        }
        await Processes.WaitForLagAsync(lag => lag == 0, TimeSpan.FromSeconds(30));
        Assert.Contains("outcome=\"expired\"", await Http.MetricsAsync(Worker), StringComparison.Ordinal);
        await AssertStillServesAsync();
    }

    [SkippableFact]
    public async Task A_bus_backed_up_past_its_lag_limit_answers_429_with_Retry_After()
    {
        Processes.Require();
        Worker.Pause();
        List<Task<HttpResponseMessage>> waiting;
        try
        {
            waiting = [.. Enumerable.Range(0, 3).Select(_ => Http.CompleteAsync(Processes.Gateway.Http, "Once upon a time"))];
            await Processes.WaitForGatewayLagAsync(lag => lag >= 3, TimeSpan.FromSeconds(3));
            using var refused = await Http.CompleteAsync(Processes.Gateway.Http, "Once upon a time");
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.NotNull(refused.Headers.RetryAfter);
            var error = await Http.ErrorAsync(refused);
            Assert.Equal("rate_limit_error", error.GetProperty("type").GetString());
            Assert.Equal("bus_backed_up", error.GetProperty("code").GetString());
        }
        finally
        {
            Worker.Resume();
        }
        foreach (var request in waiting)
        {
            using var response = await request;
            // Answered once the worker resumed, or (had it stayed paused past the deadline) a clear 504.
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.GatewayTimeout, await response.Content.ReadAsStringAsync());
        }
        await Processes.WaitForLagAsync(lag => lag == 0, TimeSpan.FromSeconds(30));
        await AssertStillServesAsync();
    }

    [SkippableFact]
    public async Task A_request_served_through_the_bus_records_its_time_to_first_token_in_parts()
    {
        Processes.Require();
        await Processes.WaitForGatewayLagAsync(lag => lag == 0, TimeSpan.FromSeconds(30));
        string[] parts = ["ttft_queue_seconds", "ttft_prefill_seconds", "ttft_kv_transfer_seconds", "ttft_first_decode_seconds"];
        // Listening to this Gateway's own meters: other test classes run Gateways in this process too.
        var factory = Processes.Gateway.Services.GetRequiredService<IMeterFactory>();
        var recorded = new List<(string Part, double Seconds)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (parts.Contains(instrument.Name) && ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
        {
            lock (recorded)
            {
                recorded.Add((instrument.Name, value));
            }
        });
        listener.Start();
        using (var response = await Http.CompleteAsync(Processes.Gateway.Http, "Once upon a time"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        lock (recorded)
        {
            Assert.Equal(parts.Order(), recorded.Select(r => r.Part).Order());
            // The prompt was computed (on the worker) in measurable time.
            Assert.True(recorded.Single(r => r.Part == "ttft_prefill_seconds").Seconds > 0);
        }
    }

    [SkippableFact]
    public async Task A_prompt_its_worker_found_in_its_prefix_cache_reports_the_reused_tokens_through_the_bus()
    {
        Processes.Require();
        await Processes.WaitForGatewayLagAsync(lag => lag == 0, TimeSpan.FromSeconds(30));
        // More than one KV block (16 tokens) and within the worker's 24-token limit with the 2 new tokens.
        const string prompt = "Once upon a time there was a little girl named Lily. She liked to";
        var first = await UsageAsync(prompt);
        Assert.InRange(first.GetProperty("prompt_tokens").GetInt32(), 17, 22);
        var again = await UsageAsync(prompt);
        Assert.True(again.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32() >= 16, again.ToString());
    }

    private async Task<System.Text.Json.JsonElement> UsageAsync(string prompt)
    {
        using var response = await Http.CompleteAsync(Processes.Gateway.Http, prompt, maxTokens: 2);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("usage").Clone();
    }

    private async Task AssertStillServesAsync()
    {
        // The Gateway admits on the lag it last polled: once the bus has drained, wait for it to see that too.
        await Processes.WaitForGatewayLagAsync(lag => lag == 0, TimeSpan.FromSeconds(30));
        using var response = await Http.CompleteAsync(Processes.Gateway.Http, "Once upon a time");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
