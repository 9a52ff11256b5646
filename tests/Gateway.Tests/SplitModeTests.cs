using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using OpenAI.Chat;

namespace Platform.Gateway.Tests;

/// <summary>The Gateway in Split mode over real Prefill and Decode processes, driven by the OpenAI SDK and raw HTTP.</summary>
public sealed class SplitModeTests(SplitGatewayFixture fixture) : IClassFixture<SplitGatewayFixture>
{
    private static readonly ChatMessage[] Conversation =
    [
        new SystemChatMessage("You tell short stories."),
        new UserChatMessage("Once upon a time there was a little dog"),
    ];

    [SkippableFact]
    public async Task Greedy_chat_and_completions_through_the_split_path_equal_local_mode_streamed_or_not_with_usage()
    {
        var split = fixture.Split.Sdk().GetChatClient("stories");
        var local = fixture.Local.Sdk().GetChatClient("stories");
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 24, Temperature = 0 };

        ChatCompletion expected = await local.CompleteChatAsync(Conversation, options);
        ChatCompletion whole = await split.CompleteChatAsync(Conversation, options);
        Assert.Equal(expected.Content[0].Text, whole.Content[0].Text);
        Assert.Equal(expected.FinishReason, whole.FinishReason);
        Assert.Equal(expected.Usage.InputTokenCount, whole.Usage.InputTokenCount);
        Assert.Equal(expected.Usage.OutputTokenCount, whole.Usage.OutputTokenCount);

        var streamed = new StringBuilder();
        ChatTokenUsage? usage = null;
        await foreach (var update in split.CompleteChatStreamingAsync(Conversation, options))
        {
            streamed.AppendJoin("", update.ContentUpdate.Select(p => p.Text));
            usage ??= update.Usage;
        }
        Assert.Equal(expected.Content[0].Text, streamed.ToString());
        Assert.Equal(expected.Usage.OutputTokenCount, usage!.OutputTokenCount);
        Assert.Equal(expected.Usage.InputTokenCount, usage.InputTokenCount);

        foreach (var prompt in new[] { "Once upon a time", "The cat and the dog played with a red ball in the park, and then they" })
        {
            var request = new { model = "stories", prompt, max_tokens = 20, temperature = 0 };
            var (_, reference) = await Json.PostAsync(fixture.Local.Http, "/v1/completions", request);
            var (status, body) = await Json.PostAsync(fixture.Split.Http, "/v1/completions", request);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(Json.Text(reference), Json.Text(body));
            Assert.Equal(reference["usage"]!.ToJsonString(), body["usage"]!.ToJsonString());
            Assert.Equal((string)reference["choices"]![0]!["finish_reason"]!, (string)body["choices"]![0]!["finish_reason"]!);

            var events = await Json.StreamAsync(fixture.Split.Http, "/v1/completions",
                new { request.model, request.prompt, request.max_tokens, request.temperature, stream = true, stream_options = new { include_usage = true } });
            var chunks = events.SkipLast(1).Select(e => JsonNode.Parse(e)!).ToList();
            Assert.Equal(Json.Text(reference), string.Concat(chunks.SkipLast(1).Select(c => (string)c["choices"]![0]!["text"]!)));
            Assert.Equal(reference["usage"]!["completion_tokens"]!.GetValue<int>(), chunks[^1]["usage"]!["completion_tokens"]!.GetValue<int>());
        }

        var decode = await fixture.Decode.WaitForLoadAsync(l => l.RunningSequences == 0, TimeSpan.FromSeconds(15));
        Assert.Equal(decode.TotalKvBlocks, decode.FreeKvBlocks);
        var metrics = await fixture.Split.Http.GetStringAsync("/metrics");
        Assert.Contains("ttft_kv_transfer_seconds_bucket", metrics, StringComparison.Ordinal);
        Assert.Contains("ttft_first_decode_seconds_count", metrics, StringComparison.Ordinal);
        Assert.Contains("kind=\"split\",reason=\"disaggregated\"} ", metrics, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_client_that_disconnects_mid_stream_frees_its_KV_on_the_decode_instance()
    {
        var before = await fixture.Decode.WaitForLoadAsync(l => l.RunningSequences == 0, TimeSpan.FromSeconds(15));
        using (var stream = await StreamingRequest.StartAsync(fixture.Split.BaseUrl))
        {
            await fixture.Decode.WaitForLoadAsync(l => l.RunningSequences == 1 && l.FreeKvBlocks < before.FreeKvBlocks, TimeSpan.FromSeconds(15));
        }
        var after = await fixture.Decode.WaitForLoadAsync(l => l.RunningSequences == 0, TimeSpan.FromSeconds(15));
        Assert.Equal(after.TotalKvBlocks, after.FreeKvBlocks);
    }

    [SkippableFact]
    public void Prefill_and_decode_run_torch_threads_with_the_passive_wait_policy_the_engine_sets()
    {
        // The processes' environment does not set OMP_WAIT_POLICY: the engine sets it before torch loads.
        Skip.If(Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is not null, "OMP_WAIT_POLICY is set in the test environment");
        Assert.Contains("torch OpenMP wait policy PASSIVE (set by the engine)", fixture.Prefill.Output, StringComparison.Ordinal);
        Assert.Contains("torch OpenMP wait policy PASSIVE (set by the engine)", fixture.Decode.Output, StringComparison.Ordinal);
    }
}
