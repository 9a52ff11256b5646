using System.ClientModel;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OpenAI.Chat;

namespace Platform.Gateway.Tests;

/// <summary>Multi-LoRA serving through the Gateway: runtime load/unload, adapters selected by <c>model</c>, tenants kept apart.</summary>
public sealed class LoraGatewayTests
{
    private const string AdminKey = "admin-key", AcmeKey = "acme-key", GlobexKey = "globex-key", PlainKey = "plain-key";

    private static readonly ChatMessage[] Conversation = [new UserChatMessage("Once upon a time there was a little dog")];

    private static Task<GatewayServer> StartAsync(string dir) => GatewayServer.StartAsync(dir, new Dictionary<string, string?>
    {
        ["Gateway:ApiKeys:0"] = PlainKey,
        ["Gateway:AdminApiKeys:0"] = AdminKey,
        ["Gateway:Tenants:acme:ApiKeys:0"] = AcmeKey,
        ["Gateway:Tenants:acme:ManageAdapters"] = "true",
        ["Gateway:Tenants:globex:ApiKeys:0"] = GlobexKey,
        ["Engine:MaxLoras"] = "3",
        ["Engine:MaxLoraRank"] = "8",
    });

    private static async Task<HttpResponseMessage> PostAsync(GatewayServer server, string path, string key, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new("Bearer", key);
        return await server.Http.SendAsync(request);
    }

    private static async Task<JsonElement> ModelsAsync(GatewayServer server, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.Authorization = new("Bearer", key);
        using var response = await server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("data").Clone();
    }

    private static async Task<string> GreedyAsync(GatewayServer server, string key, string model)
    {
        ChatCompletion completion = await server.Sdk(key).GetChatClient(model).CompleteChatAsync(Conversation,
            new ChatCompletionOptions { MaxOutputTokenCount = 16, Temperature = 0 });
        Assert.Equal(model, completion.Model);
        return completion.Content[0].Text;
    }

    [SkippableFact]
    public async Task Adapters_load_at_run_time_are_selected_by_model_and_listed_with_their_parent()
    {
        var dir = TestModels.RequireStories260K();
        await using var server = await StartAsync(dir);
        var strong = LoraAdapterFiles.SaveRandom(dir, "strong", seed: 1, bScale: 0.08);
        var zero = LoraAdapterFiles.SaveRandom(dir, "zero", seed: 2, bScale: 0);

        using (var r = await PostAsync(server, "/v1/load_lora_adapter", AdminKey, new { lora_name = "strong", lora_path = strong }))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Contains("added successfully", await r.Content.ReadAsStringAsync());
        }
        using (var r = await PostAsync(server, "/v1/load_lora_adapter", AcmeKey, new { lora_name = "zero", lora_path = zero }))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }

        var baseText = await GreedyAsync(server, AcmeKey, "stories");
        Assert.Equal(baseText, await GreedyAsync(server, AcmeKey, "zero"));
        Assert.NotEqual(baseText, await GreedyAsync(server, GlobexKey, "strong"));

        var acmeModels = await ModelsAsync(server, AcmeKey);
        Assert.Equal(["stories", "strong", "zero"], acmeModels.EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        var zeroCard = acmeModels.EnumerateArray().Single(m => m.GetProperty("id").GetString() == "zero");
        Assert.Equal("stories", zeroCard.GetProperty("parent").GetString());
        Assert.Equal(zero, zeroCard.GetProperty("root").GetString());
        var sdkModels = await server.Sdk(AcmeKey).GetOpenAIModelClient().GetModelsAsync();
        Assert.Contains(sdkModels.Value, m => m.Id == "zero");

        using (var r = await PostAsync(server, "/v1/unload_lora_adapter", AdminKey, new { lora_name = "strong" }))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        var gone = await Assert.ThrowsAsync<ClientResultException>(() => GreedyAsync(server, GlobexKey, "strong"));
        Assert.Equal(404, gone.Status);
        Assert.Equal(["stories"], (await ModelsAsync(server, GlobexKey)).EnumerateArray().Select(m => m.GetProperty("id").GetString()));
    }

    [SkippableFact]
    public async Task Another_tenants_adapter_is_absent_and_bad_admin_calls_get_clear_errors()
    {
        var dir = TestModels.RequireStories260K();
        await using var server = await StartAsync(dir);
        var path = LoraAdapterFiles.SaveRandom(dir, "mine", seed: 3, bScale: 0.05);
        using (var r = await PostAsync(server, "/v1/load_lora_adapter", AcmeKey, new { lora_name = "mine", lora_path = path }))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }

        // Globex can neither use, see nor unload it: 404 as if it did not exist.
        var use = await Assert.ThrowsAsync<ClientResultException>(() => GreedyAsync(server, GlobexKey, "mine"));
        Assert.Equal(404, use.Status);
        Assert.Contains("does not exist", use.Message);
        Assert.DoesNotContain((await ModelsAsync(server, GlobexKey)).EnumerateArray(), m => m.GetProperty("id").GetString() == "mine");
        using (var r = await server.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/v1/models/mine") { Headers = { Authorization = new("Bearer", GlobexKey) } }))
        {
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        }
        using (var r = await PostAsync(server, "/v1/unload_lora_adapter", AdminKey, new { lora_name = "mine" }))
        {
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        }
        // Acme itself still uses it.
        Assert.False(string.IsNullOrEmpty(await GreedyAsync(server, AcmeKey, "mine")));

        await AssertErrorAsync(server, GlobexKey, new { lora_name = "x", lora_path = path }, HttpStatusCode.Forbidden, "may not load");
        await AssertErrorAsync(server, PlainKey, new { lora_name = "x", lora_path = path }, HttpStatusCode.Forbidden, "may not load");
        await AssertErrorAsync(server, AcmeKey, new { lora_name = "mine", lora_path = path }, HttpStatusCode.BadRequest, "already been loaded");
        await AssertErrorAsync(server, AcmeKey, new { lora_name = "y", lora_path = "/no/such/adapter" }, HttpStatusCode.BadRequest, "not found");
        await AssertErrorAsync(server, AcmeKey, new { lora_name = "bad name", lora_path = path }, HttpStatusCode.BadRequest, "lora_name");
        await AssertErrorAsync(server, AcmeKey, new { lora_name = "z" }, HttpStatusCode.BadRequest, "lora_path");
        var highRank = LoraAdapterFiles.SaveRandom(dir, "high", seed: 4, bScale: 0.05, rank: 16);
        await AssertErrorAsync(server, AdminKey, new { lora_name = "high", lora_path = highRank }, HttpStatusCode.BadRequest, "max LoRA rank 8");
        for (int i = 0; i < 2; i++)
        {
            using var r = await PostAsync(server, "/v1/load_lora_adapter", AdminKey, new { lora_name = $"fill{i}", lora_path = path });
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        await AssertErrorAsync(server, AdminKey, new { lora_name = "one-too-many", lora_path = path }, HttpStatusCode.BadRequest, "limit is 3");
        using (var r = await server.Http.PostAsync("/v1/load_lora_adapter", JsonContent.Create(new { lora_name = "anon", lora_path = path })))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        }
        // Still serving.
        Assert.False(string.IsNullOrEmpty(await GreedyAsync(server, PlainKey, "stories")));
    }

    private static async Task AssertErrorAsync(GatewayServer server, string key, object body, HttpStatusCode status, string messagePart)
    {
        using var r = await PostAsync(server, "/v1/load_lora_adapter", key, body);
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(status == r.StatusCode, $"expected {status}, got {r.StatusCode}: {text}");
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        Assert.Contains(messagePart, error.GetProperty("message").GetString() + " " + (error.TryGetProperty("param", out var p) ? p.GetString() : ""));
    }
}
