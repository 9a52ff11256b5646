using System.Net;
using System.Net.Http.Json;

namespace Platform.Gateway.Tests;

/// <summary>A long streamed completion held open after its first event; disposing it disconnects the client.</summary>
public sealed class StreamingRequest : IDisposable
{
    private readonly HttpClient _http;
    private readonly HttpResponseMessage _response;
    private readonly Stream _body;

    private StreamingRequest(HttpClient http, HttpResponseMessage response, Stream body, string firstEvent)
    {
        _http = http;
        _response = response;
        _body = body;
        FirstEvent = firstEvent;
    }

    public string FirstEvent { get; }

    public static async Task<StreamingRequest> StartAsync(string baseUrl, int maxTokens = 480)
    {
        // Without this, disposing a response drains up to 1 MB or 2 s of it to reuse the connection, and
        // the server sees the client still there; a real disconnect closes the socket.
        var http = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0, ResponseDrainTimeout = TimeSpan.Zero })
        {
            BaseAddress = new Uri(baseUrl),
            Timeout = GatewayServer.Timeout,
        };
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = JsonContent.Create(new { prompt = "Once upon a time", max_tokens = maxTokens, ignore_eos = true, stream = true }),
        };
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStreamAsync();
        // Read until the first event: the request is then certainly running in the engine.
        var buffer = new byte[4096];
        var text = new System.Text.StringBuilder();
        while (!text.ToString().Contains("\n\n", StringComparison.Ordinal))
        {
            int n = await body.ReadAsync(buffer);
            Assert.True(n > 0, "the stream ended before its first event");
            text.Append(System.Text.Encoding.UTF8.GetString(buffer, 0, n));
        }
        return new StreamingRequest(http, response, body, text.ToString());
    }

    public void Dispose()
    {
        _body.Dispose();
        _response.Dispose();
        _http.Dispose();
    }
}
