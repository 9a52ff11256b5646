using Grpc.Core;
using Platform.Contracts.Inference.V1;

namespace Platform.PhaseSplit.Tests;

/// <summary>Split equals colocated: Prefill and Decode as separate processes, real gRPC between them and to the test.</summary>
public sealed class SplitServingTests(SplitCluster cluster) : IClassFixture<SplitCluster>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static readonly string[] Prompts =
    [
        "Once upon a time",
        "The cat and the dog played with a red ball in the park, and then they went home to sleep",
        "Tom had a big red truck and a small blue car",
        "Lily wanted to",
    ];

    [SkippableFact]
    public async Task Greedy_tokens_from_prefill_on_one_process_and_decode_on_another_equal_one_engine_doing_both()
    {
        var model = TestModels.RequireStories260K();
        await cluster.StartAsync(model);
        var prompts = Prompts.Select(p => Colocated.Encode(model, p)).ToArray();
        var expected = Colocated.Generate(model, [.. prompts.Select(p => ((IReadOnlyList<int>)p, 24))]);
        for (int i = 0; i < prompts.Length; i++)
        {
            var (tokens, reply, final) = await SplitCluster.GenerateAsync(cluster.Prefill, cluster.Decode, SplitCluster.Greedy($"split-{i}", prompts[i], 24), Timeout);
            Assert.Equal(expected[i], tokens);
            Assert.Equal(prompts[i].Length, final.Usage.PromptTokens);
            Assert.Equal(tokens.Count, final.Usage.CompletionTokens);
            // 5 layers x K and V x 4 kv heads x 8 dims x 4 bytes per prompt token.
            Assert.Equal(prompts[i].Length * 5 * 2 * 4 * 8 * 4, reply.TransferBytes);
            Assert.Equal(reply.TransferBytes, reply.Ack.BytesReceived);
            // 8 KiB messages carry 16 tokens of a layer: longer prompts cross the wire in several chunks per layer.
            Assert.Equal(5 * ((prompts[i].Length + 15) / 16), reply.Ack.ChunksReceived);
            Assert.True(reply.TransferSeconds >= reply.TransferTailSeconds && reply.TransferTailSeconds > 0);
        }
        var decodeLoad = await cluster.Decode.WaitForLoadAsync(l => l.RunningSequences == 0, TimeSpan.FromSeconds(10));
        Assert.Equal(decodeLoad.TotalKvBlocks, decodeLoad.FreeKvBlocks);
    }

    [SkippableFact]
    public async Task Sixteen_concurrent_split_requests_give_the_colocated_tokens()
    {
        var model = TestModels.RequireStories260K();
        await cluster.StartAsync(model);
        var prompts = Enumerable.Range(0, 16)
            .Select(i => Colocated.Encode(model, $"{Prompts[i % Prompts.Length]} and number {i} was {new string('a', i % 5)}"))
            .ToArray();
        var expected = Colocated.Generate(model, [.. prompts.Select(p => ((IReadOnlyList<int>)p, 16))]);
        var results = await Task.WhenAll(prompts.Select((p, i) =>
            SplitCluster.GenerateAsync(cluster.Prefill, cluster.Decode, SplitCluster.Greedy($"concurrent-{i}", p, 16), Timeout)));
        for (int i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(expected[i], results[i].Tokens);
        }
        var load = await cluster.Decode.WaitForLoadAsync(l => l.RunningSequences == 0, TimeSpan.FromSeconds(10));
        Assert.Equal(load.TotalKvBlocks, load.FreeKvBlocks);
        Assert.Equal(0, load.KvTransfersInFlight);
    }

    [SkippableFact]
    public async Task A_subscriber_that_arrives_after_the_kv_committed_still_gets_every_token()
    {
        var model = TestModels.RequireStories260K();
        await cluster.StartAsync(model);
        var prompt = Colocated.Encode(model, Prompts[2]);
        var expected = Colocated.Generate(model, [(prompt, 12)])[0];
        var spec = SplitCluster.Greedy("late-subscriber", prompt, 12);
        var deadline = DateTime.UtcNow + Timeout;
        var reply = await new PrefillService.PrefillServiceClient(cluster.Prefill.Channel).PrefillAsync(
            new PrefillRequest { Spec = spec, Decode = new DecodeTarget { Address = cluster.Decode.Address } }, deadline: deadline);
        using var subscription = new DecodeService.DecodeServiceClient(cluster.Decode.Channel).Generate(spec, deadline: deadline);
        var tokens = new List<int>();
        await foreach (var e in subscription.ResponseStream.ReadAllAsync())
        {
            tokens.AddRange(e.Token is { } t ? [t.TokenId] : []);
        }
        Assert.Equal(expected, tokens);
        Assert.Equal(reply.FirstToken.TokenId, tokens[0]);
    }
}
