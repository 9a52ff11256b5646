using Grpc.Core;
using Platform.Contracts.Inference.V1;

namespace Platform.PhaseSplit.Tests;

/// <summary>GenerateColocated on either service: both phases on that process's engine, the same tokens as one engine doing both.</summary>
public sealed class GenerateColocatedTests(SplitCluster cluster) : IClassFixture<SplitCluster>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public async Task Greedy_tokens_from_GenerateColocated_on_a_decode_or_prefill_instance_equal_one_engine_doing_both()
    {
        var model = TestModels.RequireStories260K();
        await cluster.StartAsync(model);
        var prompt = Colocated.Encode(model, "The cat and the dog played with a red ball in the park, and then they went home to sleep");
        var expected = Colocated.Generate(model, [(prompt, 24)])[0];
        foreach (var service in new[] { cluster.Decode, cluster.Prefill })
        {
            using var call = Start(service, SplitCluster.Greedy($"colocated-{service.Name}", prompt, 24), DateTime.UtcNow + Timeout);
            var tokens = new List<int>();
            TokenEvent? final = null;
            await foreach (var e in call.ResponseStream.ReadAllAsync())
            {
                if (e.Token is { } token)
                {
                    tokens.Add(token.TokenId);
                }
                final = e.FinishReason != FinishReason.Unspecified ? e : null;
            }
            Assert.Equal(expected, tokens);
            Assert.Equal(prompt.Length, final!.Usage.PromptTokens);
            Assert.Equal(tokens.Count, final.Usage.CompletionTokens);
            var load = await service.WaitForLoadAsync(l => l.RunningSequences == 0, TimeSpan.FromSeconds(10));
            Assert.Equal(0, load.KvTransfersInFlight);
        }
    }

    [SkippableFact]
    public async Task Cancelling_a_GenerateColocated_call_mid_stream_frees_the_request_on_the_engine()
    {
        var model = TestModels.RequireStories260K();
        await cluster.StartAsync(model);
        var prompt = Colocated.Encode(model, "Once upon a time");
        foreach (var service in new[] { cluster.Decode, cluster.Prefill })
        {
            using var cancellation = new CancellationTokenSource();
            using var call = Start(service, SplitCluster.Greedy($"cancelled-{service.Name}", prompt, 480, ignoreEos: true), DateTime.UtcNow + Timeout, cancellation.Token);
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            await service.WaitForLoadAsync(l => l.RunningSequences == 1, TimeSpan.FromSeconds(10));
            await cancellation.CancelAsync();
            var load = await service.WaitForLoadAsync(l => l.RunningSequences == 0 && l.WaitingSequences == 0, TimeSpan.FromSeconds(10));
            Assert.Equal(load.TotalKvBlocks, load.FreeKvBlocks);
        }
    }

    private static AsyncServerStreamingCall<TokenEvent> Start(ServiceProcess service, GenerationSpec spec, DateTime deadline, CancellationToken cancellationToken = default) =>
        service.Name == "Prefill"
            ? new PrefillService.PrefillServiceClient(service.Channel).GenerateColocated(spec, deadline: deadline, cancellationToken: cancellationToken)
            : new DecodeService.DecodeServiceClient(service.Channel).GenerateColocated(spec, deadline: deadline, cancellationToken: cancellationToken);
}
