using System.Globalization;
using System.Net;
using Grpc.Core;
using Platform.Contracts.Inference.V1;
using Platform.PhaseSplit.Kv;
using Platform.PhaseSplit.Mapping;

namespace Platform.Gateway.Tests;

/// <summary>Split mode's colocated path (GenerateColocated, no KV moved) and its decode fallback on RESOURCE_EXHAUSTED.</summary>
public sealed class ColocatedAndFallbackTests(SplitGatewayFixture fixture) : IClassFixture<SplitGatewayFixture>
{
    private const string Prompt = "The cat and the dog played with a red ball in the park, and then they went home to sleep";

    [SkippableFact]
    public async Task Short_prompts_and_a_full_decode_pool_run_colocated_with_local_greedy_output_and_no_KV_transfer()
    {
        var dir = TestModels.RequireStories260K();
        var transfersBefore = await KvTransferLinesAsync(fixture.Decode);
        var shortPrompt = SplitGatewayFixture.SplitSettings(fixture.Prefill.Address, fixture.Decode.Address);
        shortPrompt["Gateway:Routing:ColocateBelowPromptTokens"] = "100000";
        var poolFull = SplitGatewayFixture.SplitSettings(fixture.Prefill.Address, fixture.Decode.Address);
        poolFull["Gateway:Routing:MinFreeDecodeBlocks"] = "1000000";
        var request = new { model = "stories", prompt = Prompt, max_tokens = 20, temperature = 0 };
        var (_, reference) = await Json.PostAsync(fixture.Local.Http, "/v1/completions", request);

        foreach (var (settings, reason, instance) in new[] { (shortPrompt, "short_prompt", fixture.Decode), (poolFull, "decode_pool_full", fixture.Prefill) })
        {
            await using var server = await GatewayServer.StartAsync(dir, settings);
            await SplitGatewayFixture.WaitForInstancesAsync(server);
            var (status, body) = await Json.PostAsync(server.Http, "/v1/completions", request);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(Json.Text(reference), Json.Text(body));
            // Not cached_tokens: which prefixes each engine has cached depends on the tests before.
            foreach (var count in new[] { "prompt_tokens", "completion_tokens" })
            {
                Assert.Equal(reference["usage"]![count]!.GetValue<int>(), body["usage"]![count]!.GetValue<int>());
            }
            var metrics = await server.Http.GetStringAsync("/metrics");
            Assert.Contains($"kind=\"colocated\",reason=\"{reason}\"}} ", metrics, StringComparison.Ordinal);

            // The router's choice runs it, and a client that leaves frees it there.
            using (var stream = await StreamingRequest.StartAsync(server.BaseUrl))
            {
                await instance.WaitForLoadAsync(l => l.RunningSequences == 1, TimeSpan.FromSeconds(15));
            }
            var after = await instance.WaitForLoadAsync(l => l.RunningSequences == 0, TimeSpan.FromSeconds(15));
            Assert.Equal(after.TotalKvBlocks, after.FreeKvBlocks);
        }

        Assert.Equal(transfersBefore, await KvTransferLinesAsync(fixture.Decode));
    }

    [SkippableFact]
    public async Task A_decode_instance_that_refuses_the_KV_is_replaced_by_the_next_and_the_request_succeeds()
    {
        var dir = TestModels.RequireStories260K();
        // stories260K: 5 layers x (K, V) x 4 KV heads x 8 dims x 4 bytes = 1280 bytes per token.
        const long bytesPerToken = 1280;
        // decode-0: 8 blocks of 16 tokens. decode-1: 4 blocks of 256 tokens, so decode-0 reports more free blocks and goes first.
        var tinyStart = ServiceProcess.StartAsync("Decode", dir, "--Engine:KvCacheBytes", (8 * 16 * bytesPerToken).ToString(CultureInfo.InvariantCulture));
        var roomyStart = ServiceProcess.StartAsync("Decode", dir, "--Engine:BlockSize", "256",
            "--Engine:KvCacheBytes", (4 * 256 * bytesPerToken).ToString(CultureInfo.InvariantCulture));
        using var tiny = await tinyStart;
        using var roomy = await roomyStart;
        Assert.True((await tiny.GetLoadAsync()).FreeKvBlocks > (await roomy.GetLoadAsync()).FreeKvBlocks);

        var settings = SplitGatewayFixture.SplitSettings(fixture.Prefill.Address, tiny.Address);
        settings["Gateway:Decode:Instances:1:Name"] = "decode-1";
        settings["Gateway:Decode:Instances:1:Address"] = roomy.Address;
        // The router keeps the first reports: the blocks taken below, behind its back, are what it cannot know.
        settings["Gateway:Routing:LoadPollInterval"] = TimeSpan.FromMinutes(10).ToString("c", CultureInfo.InvariantCulture);
        await using var server = await GatewayServer.StartAsync(dir, settings);
        // Healthy: every configured instance answered, so both decode reports are in.
        await SplitGatewayFixture.WaitForInstancesAsync(server);

        // A transfer whose header reserved 7 of decode-0's 8 blocks and never commits.
        var hold = new GenerationSpec { SchemaVersion = ContractMapping.SpecSchemaVersion, RequestId = "hold", Sampling = Platform.Engine.Sampling.SamplingParams.Greedy(1).ToWire() };
        hold.PromptTokenIds.AddRange(Enumerable.Repeat(5, 7 * 16));
        using var holdCancellation = new CancellationTokenSource();
        using var transfer = new DecodeService.DecodeServiceClient(tiny.Channel).TransferKv(cancellationToken: holdCancellation.Token);
        var geometry = new KvGeometry(5, 4, 8, TorchSharp.torch.ScalarType.Float32);
        await transfer.RequestStream.WriteAsync(new KvTransferMessage { Header = geometry.Header(hold) });
        await tiny.WaitForLoadAsync(l => l.FreeKvBlocks <= 1, TimeSpan.FromSeconds(15));

        var request = new { model = "stories", prompt = Prompt, max_tokens = 16, temperature = 0 };
        var (_, reference) = await Json.PostAsync(fixture.Local.Http, "/v1/completions", request);
        var (status, body) = await Json.PostAsync(server.Http, "/v1/completions", request);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(Json.Text(reference), Json.Text(body));
        var metrics = await server.Http.GetStringAsync("/metrics");
        Assert.Contains("outcome=\"decode_full\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("kind=\"split\",reason=\"disaggregated\"} 2", metrics, StringComparison.Ordinal);

        await holdCancellation.CancelAsync();
        await tiny.WaitForLoadAsync(l => l.FreeKvBlocks == l.TotalKvBlocks, TimeSpan.FromSeconds(15));
        await roomy.WaitForLoadAsync(l => l.RunningSequences == 0 && l.FreeKvBlocks == l.TotalKvBlocks, TimeSpan.FromSeconds(15));
    }

    /// <summary>The decode process's <c>kv_transfer_*</c> series; its endpoint speaks HTTP/2 only.</summary>
    private static async Task<string[]> KvTransferLinesAsync(ServiceProcess service)
    {
        using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var text = await http.GetStringAsync($"{service.Address}/metrics");
        return [.. text.Split('\n').Where(l => l.StartsWith("kv_transfer", StringComparison.Ordinal))];
    }
}
