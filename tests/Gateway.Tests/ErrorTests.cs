using System.ClientModel;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using OpenAI.Chat;

namespace Platform.Gateway.Tests;

/// <summary>Every error in OpenAI's shape and status, each followed by a request that is served.</summary>
[Collection(StoriesGatewayCollection.Name)]
public sealed class ErrorTests(StoriesGatewayFixture fixture)
{
    private static readonly object Ok = new { prompt = "Once upon a time", max_tokens = 2 };

    private async Task AssertStillServingAsync(HttpClient? http = null)
    {
        var (status, body) = await Json.PostAsync(http ?? fixture.Server.Http, "/v1/completions", Ok);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, (int)body["usage"]!["completion_tokens"]!);
    }

    [SkippableFact]
    public async Task MalformedJsonIs400()
    {
        var (status, body) = await Json.PostRawAsync(fixture.Server.Http, "/v1/chat/completions", "{\"messages\": [ {\"role\": \"user\", ");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Json.AssertError(body, code: "invalid_json");
        await AssertStillServingAsync();
    }

    [SkippableFact]
    public async Task WrongFieldTypesAndValuesAre400NamingTheField()
    {
        var http = fixture.Server.Http;
        var (status, body) = await Json.PostRawAsync(http, "/v1/completions", "{\"prompt\": \"hi\", \"temperature\": \"hot\"}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Json.AssertError(body, param: "temperature");

        (status, body) = await Json.PostAsync(http, "/v1/completions", new { prompt = "hi", top_p = 1.5 });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Json.AssertError(body, param: "top_p");

        (status, body) = await Json.PostAsync(http, "/v1/chat/completions", new { messages = Array.Empty<object>() });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Json.AssertError(body, param: "messages");

        (status, body) = await Json.PostAsync(http, "/v1/chat/completions", new { messages = new[] { new { role = "wizard", content = "hi" } } });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Json.AssertError(body, param: "messages[0].role");

        (status, body) = await Json.PostAsync(http, "/v1/completions", new { prompt = new[] { 1, 100000 } });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("vocabulary", (string)Json.AssertError(body, param: "prompt")["message"]!, StringComparison.Ordinal);

        (status, body) = await Json.PostAsync(http, "/v1/completions", new { prompt = "hi", stop = new object[] { 3 } });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Json.AssertError(body, param: "stop");
        await AssertStillServingAsync();
    }

    [SkippableFact]
    public async Task ContextTooLongIs400WithOpenAisCode()
    {
        var http = fixture.Server.Http;
        var longPrompt = string.Join(' ', Enumerable.Repeat("the little dog ran", 200));
        var (status, body) = await Json.PostAsync(http, "/v1/chat/completions", new { messages = new[] { new { role = "user", content = longPrompt } } });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var error = Json.AssertError(body, code: "context_length_exceeded", param: "messages");
        Assert.StartsWith("This model's maximum context length is 512 tokens.", (string)error["message"]!, StringComparison.Ordinal);

        (status, body) = await Json.PostAsync(http, "/v1/completions", new { prompt = "Once upon a time", max_tokens = 600 });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        error = Json.AssertError(body, code: "context_length_exceeded", param: "prompt");
        Assert.Contains("(5 in the prompt, 600 in the completion)", (string)error["message"]!, StringComparison.Ordinal);
        await AssertStillServingAsync();
    }

    [SkippableFact]
    public async Task UnknownModelIs404()
    {
        var chat = fixture.Server.Sdk().GetChatClient("gpt-9");
        var e = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(404, e.Status);

        var (status, body) = await Json.PostAsync(fixture.Server.Http, "/v1/completions", new { model = "gpt-9", prompt = "hi" });
        Assert.Equal(HttpStatusCode.NotFound, status);
        Json.AssertError(body, code: "model_not_found", param: "model");
        using var model = await fixture.Server.Http.GetAsync("/v1/models/gpt-9");
        Assert.Equal(HttpStatusCode.NotFound, model.StatusCode);
        await AssertStillServingAsync();
    }

    [SkippableFact]
    public async Task BodyOverTheLimitIs413WithOrWithoutContentLength()
    {
        var big = new string('a', StoriesGatewayFixture.MaxRequestBodyBytes + 10);
        var (status, body) = await Json.PostAsync(fixture.Server.Http, "/v1/completions", new { prompt = big });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Json.AssertError(body, code: "request_too_large");

        // Chunked: no Content-Length, so the limit bites while the body is read.
        using var content = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes($"{{\"prompt\": \"{big}\"}}")));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await fixture.Server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Json.AssertError((await response.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonNode>())!, code: "request_too_large");
        await AssertStillServingAsync();
    }

    [SkippableFact]
    public async Task MissingOrWrongApiKeyIs401WhenKeysAreConfigured()
    {
        await using var server = await GatewayServer.StartAsync(TestModels.RequireStories260K(), new Dictionary<string, string?>
        {
            ["Gateway:ApiKeys:0"] = "sk-first",
            ["Gateway:ApiKeys:1"] = "sk-second",
        });
        var (status, body) = await Json.PostAsync(server.Http, "/v1/completions", Ok);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Json.AssertError(body, code: "missing_api_key");

        var wrong = await Assert.ThrowsAsync<ClientResultException>(
            () => server.Sdk("sk-wrong").GetChatClient("stories").CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(401, wrong.Status);
        Assert.Contains("invalid_api_key", wrong.GetRawResponse()!.Content.ToString(), StringComparison.Ordinal);

        ChatCompletion ok = await server.Sdk("sk-second").GetChatClient("stories")
            .CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { MaxOutputTokenCount = 2 });
        Assert.Equal(2, ok.Usage.OutputTokenCount);
        // Health and metrics stay open to the orchestrator and Prometheus.
        using var health = await server.Http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [SkippableFact]
    public async Task FullAdmissionIs429UntilASlotFrees()
    {
        await using var server = await GatewayServer.StartAsync(TestModels.RequireStories260K(), new Dictionary<string, string?>
        {
            ["Gateway:MaxConcurrentRequests"] = "1",
        });
        using (var holder = await StreamingRequest.StartAsync(server.BaseUrl))
        {
            var (status, body) = await Json.PostAsync(server.Http, "/v1/completions", Ok);
            Assert.Equal(HttpStatusCode.TooManyRequests, status);
            Json.AssertError(body, code: "rate_limit_exceeded");
        }
        // The held request was cancelled by its disconnect; its slot frees as its handler unwinds.
        using var cts = new CancellationTokenSource(GatewayServer.Timeout);
        while (true)
        {
            using var response = await server.Http.PostAsJsonAsync("/v1/completions", Ok, cts.Token);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                break;
            }
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            await Task.Delay(20, cts.Token);
        }
    }
}
