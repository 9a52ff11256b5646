using System.Net;
using System.Text.Json.Nodes;

namespace Platform.Deployment.Tests.Images;

public static class HttpJson
{
    /// <summary>The body of a 200 answer as JSON; fails the test with the status and body otherwise.</summary>
    public static async Task<JsonNode> ReadOkJsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }
}
