using System.Net;
using System.Net.Http.Json;
using OpenAI.Chat;

namespace Platform.Gateway.Tests;

/// <summary>LoRA adapters through the phase split: Prefill and Decode processes load the adapter the request names, by its path.</summary>
public sealed class SplitLoraTests(SplitGatewayFixture fixture) : IClassFixture<SplitGatewayFixture>
{
    private static readonly ChatMessage[] Conversation = [new UserChatMessage("Once upon a time there was a little dog")];

    private static async Task<string> GreedyAsync(GatewayServer server, string model)
    {
        ChatCompletion completion = await server.Sdk().GetChatClient(model).CompleteChatAsync(Conversation,
            new ChatCompletionOptions { MaxOutputTokenCount = 20, Temperature = 0 });
        Assert.Equal(model, completion.Model);
        return completion.Content[0].Text;
    }

    [SkippableFact]
    public async Task A_request_under_an_adapter_gives_the_same_tokens_split_as_colocated()
    {
        var dir = TestModels.RequireStories260K();
        var path = LoraAdapterFiles.SaveRandom(dir, "split", seed: 21, bScale: 0.08);
        foreach (var server in new[] { fixture.Split, fixture.Local })
        {
            using var r = await server.Http.PostAsync("/v1/load_lora_adapter", JsonContent.Create(new { lora_name = "split-lora", lora_path = path }));
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        var expected = await GreedyAsync(fixture.Local, "split-lora");
        Assert.NotEqual(await GreedyAsync(fixture.Local, "stories"), expected);
        Assert.Equal(expected, await GreedyAsync(fixture.Split, "split-lora"));
        // The second time the workers hold it already (and its prefix KV is keyed by it, never by the base).
        Assert.Equal(expected, await GreedyAsync(fixture.Split, "split-lora"));
        Assert.Equal(await GreedyAsync(fixture.Local, "stories"), await GreedyAsync(fixture.Split, "stories"));

        using (var r = await fixture.Split.Http.PostAsync("/v1/load_lora_adapter", JsonContent.Create(new { lora_name = "missing", lora_path = "/no/such/dir" })))
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        }
        using (var r = await fixture.Split.Http.PostAsync("/v1/unload_lora_adapter", JsonContent.Create(new { lora_name = "split-lora" })))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        var gone = await Assert.ThrowsAsync<System.ClientModel.ClientResultException>(() => GreedyAsync(fixture.Split, "split-lora"));
        Assert.Equal(404, gone.Status);
    }
}
