using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.Gateway.Tests;

/// <summary>Raw HTTP helpers: POST JSON, read JSON, read SSE events.</summary>
public static class Json
{
    public static async Task<(HttpStatusCode Status, JsonNode Body)> PostAsync(HttpClient http, string path, object body)
    {
        using var response = await http.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text)!);
    }

    public static async Task<(HttpStatusCode Status, JsonNode Body)> PostRawAsync(HttpClient http, string path, string body)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text)!);
    }

    /// <summary>The data of every SSE event of a streamed response, [DONE] included.</summary>
    public static async Task<List<string>> StreamAsync(HttpClient http, string path, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.EndsWith("data: [DONE]\n\n", text, StringComparison.Ordinal);
        return [.. text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e =>
        {
            Assert.StartsWith("data: ", e, StringComparison.Ordinal);
            return e["data: ".Length..];
        })];
    }

    /// <summary>Asserts OpenAI's error shape and returns the error object.</summary>
    public static JsonObject AssertError(JsonNode body, string? code = null, string? param = null)
    {
        var error = body["error"]!.AsObject();
        Assert.False(string.IsNullOrWhiteSpace(error["message"]!.GetValue<string>()));
        Assert.False(string.IsNullOrWhiteSpace(error["type"]!.GetValue<string>()));
        Assert.True(error.ContainsKey("param"));
        Assert.True(error.ContainsKey("code"));
        if (code is not null)
        {
            Assert.Equal(code, error["code"]!.GetValue<string>());
        }
        if (param is not null)
        {
            Assert.Equal(param, error["param"]!.GetValue<string>());
        }
        return error;
    }

    public static string Text(JsonNode completion, int choice = 0) => completion["choices"]![choice]!["text"]!.GetValue<string>();

    public static JsonElement Element(object value) => JsonSerializer.SerializeToElement(value);
}
