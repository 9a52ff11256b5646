using System.Net;

namespace Platform.RequestBus.Tests;

/// <summary>
/// Real processes on loopback: a poison request goes to the dead-letter topic, an expired one is not computed,
/// and a backed-up bus answers 429; each client sees a clear OpenAI-shaped error, and the Gateway keeps serving.
/// A request served through the bus reports its time to first token in parts, as a directly dispatched one does.
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
        var before = Sample(await Processes.Gateway.Http.GetStringAsync("/metrics"), parts);
        using (var response = await Http.CompleteAsync(Processes.Gateway.Http, "Once upon a time"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var after = Sample(await Processes.Gateway.Http.GetStringAsync("/metrics"), parts);
        foreach (var part in parts)
        {
            Assert.True(after[part].Count == before[part].Count + 1, $"{part}: {before[part].Count} -> {after[part].Count} observations");
        }
        // The prompt was computed (on the worker) in measurable time, and the worker's KV reached Decode after it.
        Assert.True(after["ttft_prefill_seconds"].Sum > before["ttft_prefill_seconds"].Sum);
    }

    /// <summary>Each histogram's observation count and sum, over all its label sets.</summary>
    private static Dictionary<string, (double Count, double Sum)> Sample(string exposition, string[] histograms)
    {
        double Total(string series) => exposition.Split('\n')
            .Where(l => l.StartsWith(series, StringComparison.Ordinal) && (l.Length == series.Length || l[series.Length] is '{' or ' '))
            .Sum(l => double.Parse(l[(l.LastIndexOf('}') is >= 0 and var end ? end + 1 : series.Length)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture));
        return histograms.ToDictionary(h => h, h => (Total($"{h}_count"), Total($"{h}_sum")));
    }

    private async Task AssertStillServesAsync()
    {
        // The Gateway admits on the lag it last polled: once the bus has drained, wait for it to see that too.
        await Processes.WaitForGatewayLagAsync(lag => lag == 0, TimeSpan.FromSeconds(30));
        using var response = await Http.CompleteAsync(Processes.Gateway.Http, "Once upon a time");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
