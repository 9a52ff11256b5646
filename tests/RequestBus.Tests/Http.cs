using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.RequestBus.Tests;

/// <summary>Raw HTTP against the Gateway, where a test needs the status, headers and error body as sent.</summary>
internal static class Http
{
    public static Task<HttpResponseMessage> CompleteAsync(HttpClient http, string prompt, int maxTokens = 4) =>
        http.PostAsJsonAsync("/v1/completions", new { model = "stories", prompt, max_tokens = maxTokens, temperature = 0 });

    /// <summary>The OpenAI error object of a failed response.</summary>
    public static async Task<JsonElement> ErrorAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(body);
        Assert.True(document.RootElement.TryGetProperty("error", out var error), $"not an OpenAI error: {body}");
        return error.Clone();
    }

    /// <summary>A Prefill or Decode process's Prometheus text (those processes speak HTTP/2 only).</summary>
    public static async Task<string> MetricsAsync(ServiceProcess process)
    {
        using var client = new HttpClient { DefaultRequestVersion = new Version(2, 0), DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        return await client.GetStringAsync($"{process.Address}/metrics");
    }
}
