using System.Diagnostics;
using Grpc.Core;
using Platform.Contracts.Inference.V1;

namespace Platform.PhaseSplit.Tests;

/// <summary>Transfers that cannot be taken, are corrupt, stall or lose their decode process: fast, clean failures that free every block.</summary>
public sealed class KvTransferFailureTests(SplitCluster cluster) : IClassFixture<SplitCluster>
{
    private static readonly TimeSpan FreeTimeout = TimeSpan.FromSeconds(15);

    private static int[] Prompt(int length, int offset = 0) => [1, .. Enumerable.Range(0, length - 1).Select(i => 3 + ((i + offset) % 400))];

    [SkippableFact]
    public async Task A_decode_without_room_answers_RESOURCE_EXHAUSTED_at_once_through_prefill_and_serves_again_once_freed()
    {
        var model = TestModels.RequireStories260K();
        await cluster.StartAsync(model);
        // 4 blocks of 16 tokens: 5 layers x K and V x 4 kv heads x 8 dims x 4 bytes = 1280 bytes per token.
        using var tiny = await ServiceProcess.StartAsync("Decode", model, "--Engine:KvCacheBytes", $"{4 * 16 * 1280}");
        using var holder = new RawTransfer(tiny, model, SplitCluster.Greedy("holder", Prompt(40), 4));
        await holder.SendHeaderAsync();
        await tiny.WaitForLoadAsync(l => l.FreeKvBlocks == 1, FreeTimeout);

        var watch = Stopwatch.StartNew();
        var refused = await Assert.ThrowsAsync<RpcException>(() => new PrefillService.PrefillServiceClient(cluster.Prefill.Channel).PrefillAsync(
            new PrefillRequest { Spec = SplitCluster.Greedy("refused", Prompt(30, 7), 8), Decode = new DecodeTarget { Address = tiny.Address } },
            deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"refusal took {watch.Elapsed}");
        using (var direct = new RawTransfer(tiny, model, SplitCluster.Greedy("refused-direct", Prompt(30), 8)))
        {
            await direct.SendHeaderAsync();
            Assert.Equal(StatusCode.ResourceExhausted, await direct.OutcomeAsync());
        }

        holder.Dispose();
        var load = await tiny.WaitForLoadAsync(l => l.FreeKvBlocks == l.TotalKvBlocks, FreeTimeout);
        Assert.Equal(4, load.TotalKvBlocks);
        var prompt = Prompt(30, 7);
        var expected = Colocated.Generate(model, [(prompt, 8)])[0];
        var (tokens, _, _) = await SplitCluster.GenerateAsync(cluster.Prefill, tiny, SplitCluster.Greedy("after-refusal", prompt, 8), TimeSpan.FromSeconds(60));
        Assert.Equal(expected, tokens);
        var prefillLoad = await cluster.Prefill.WaitForLoadAsync(l => l.RunningSequences == 0 && l.KvTransfersInFlight == 0, FreeTimeout);
        Assert.Equal(prefillLoad.TotalKvBlocks, prefillLoad.FreeKvBlocks);
    }

    [SkippableFact]
    public async Task Corrupt_misshapen_stalled_or_missing_kv_is_refused_and_frees_every_block()
    {
        var model = TestModels.RequireStories260K();
        using var decode = await ServiceProcess.StartAsync("Decode", model,
            "--Decode:KvTransferTimeout", "00:00:02", "--Decode:KvArrivalTimeout", "00:00:03");
        var client = new DecodeService.DecodeServiceClient(decode.Channel);

        // A bad checksum: DATA_LOSS to the sender and to the request's subscriber.
        var spec = SplitCluster.Greedy("corrupt", Prompt(20), 8);
        using var subscriber = client.Generate(spec, deadline: DateTime.UtcNow.AddSeconds(30));
        using (var corrupt = new RawTransfer(decode, model, spec))
        {
            await corrupt.SendHeaderAsync();
            await corrupt.SendLayerAsync(0);
            await corrupt.SendLayerAsync(1, corrupt: true);
            Assert.Equal(StatusCode.DataLoss, await corrupt.OutcomeAsync());
        }
        var streamFailure = await Assert.ThrowsAsync<RpcException>(async () => await subscriber.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.DataLoss, streamFailure.StatusCode);
        await decode.WaitForLoadAsync(l => l.FreeKvBlocks == l.TotalKvBlocks && l.KvTransfersInFlight == 0, FreeTimeout);

        // A shape this model does not have: INVALID_ARGUMENT, nothing reserved.
        using (var misshapen = new RawTransfer(decode, model, SplitCluster.Greedy("misshapen", Prompt(20), 8)))
        {
            await misshapen.SendHeaderAsync(h => h.HeadDim = 16);
            Assert.Equal(StatusCode.InvalidArgument, await misshapen.OutcomeAsync());
        }

        // A sender that stops mid-way: Decode:KvTransferTimeout (2 s) aborts it.
        var watch = Stopwatch.StartNew();
        using (var stalled = new RawTransfer(decode, model, SplitCluster.Greedy("stalled", Prompt(20), 8)))
        {
            await stalled.SendHeaderAsync();
            await stalled.SendLayerAsync(0);
            await decode.WaitForLoadAsync(l => l.FreeKvBlocks < l.TotalKvBlocks, FreeTimeout);
            Assert.Equal(StatusCode.DeadlineExceeded, await stalled.OutcomeAsync().WaitAsync(TimeSpan.FromSeconds(20)));
        }
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(1.5), $"aborted after {watch.Elapsed}, before the stall timeout");
        await decode.WaitForLoadAsync(l => l.FreeKvBlocks == l.TotalKvBlocks && l.KvTransfersInFlight == 0, FreeTimeout);

        // The sender's own deadline, shorter than the decode's stall timeout, ends it too.
        using (var late = new RawTransfer(decode, model, SplitCluster.Greedy("deadline", Prompt(20), 8), DateTime.UtcNow.AddSeconds(1)))
        {
            await late.SendHeaderAsync();
            Assert.Equal(StatusCode.DeadlineExceeded, await late.OutcomeAsync().WaitAsync(TimeSpan.FromSeconds(20)));
        }
        await decode.WaitForLoadAsync(l => l.FreeKvBlocks == l.TotalKvBlocks && l.KvTransfersInFlight == 0, FreeTimeout);

        // A subscriber whose KV never comes: DEADLINE_EXCEEDED after Decode:KvArrivalTimeout (3 s).
        using var orphan = client.Generate(SplitCluster.Greedy("never-sent", Prompt(20), 8), deadline: DateTime.UtcNow.AddSeconds(30));
        var orphanFailure = await Assert.ThrowsAsync<RpcException>(async () => await orphan.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.DeadlineExceeded, orphanFailure.StatusCode);
        Assert.False(decode.HasExited);
    }

    [SkippableFact]
    public async Task Killing_the_decode_process_mid_stream_fails_the_client_stream_within_a_deadline_and_prefill_keeps_serving()
    {
        var model = TestModels.RequireStories260K();
        await cluster.StartAsync(model);
        var victim = await ServiceProcess.StartAsync("Decode", model);
        try
        {
            var specs = Enumerable.Range(0, 6).Select(i => SplitCluster.Greedy($"doomed-{i}", Prompt(24, i), 480, ignoreEos: true)).ToArray();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            var client = new DecodeService.DecodeServiceClient(victim.Channel);
            var streams = specs.Select(s => client.Generate(s, deadline: deadline)).ToArray();
            var prefill = new PrefillService.PrefillServiceClient(cluster.Prefill.Channel);
            await Task.WhenAll(specs.Select(s => prefill.PrefillAsync(
                new PrefillRequest { Spec = s, Decode = new DecodeTarget { Address = victim.Address } }, deadline: deadline).ResponseAsync));
            Assert.True(await streams[0].ResponseStream.MoveNext(CancellationToken.None));
            victim.Kill();

            var watch = Stopwatch.StartNew();
            var outcomes = await Task.WhenAll(streams.Select(s => DrainAsync(s.ResponseStream))).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30));
            Assert.Contains(outcomes, o => o is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Cancelled);
        }
        finally
        {
            victim.Dispose();
        }

        var prompt = Prompt(18, 3);
        var expected = Colocated.Generate(model, [(prompt, 10)])[0];
        var (tokens, _, _) = await SplitCluster.GenerateAsync(cluster.Prefill, cluster.Decode, SplitCluster.Greedy("survivor", prompt, 10), TimeSpan.FromSeconds(60));
        Assert.Equal(expected, tokens);
        var load = await cluster.Prefill.WaitForLoadAsync(l => l.RunningSequences == 0 && l.KvTransfersInFlight == 0, FreeTimeout);
        Assert.Equal(load.TotalKvBlocks, load.FreeKvBlocks);
    }

    /// <summary>Reads a token stream to its end: OK when it finished, else the status it failed with.</summary>
    private static async Task<StatusCode> DrainAsync(IAsyncStreamReader<TokenEvent> stream)
    {
        try
        {
            while (await stream.MoveNext(CancellationToken.None))
            {
                if (stream.Current.FinishReason != FinishReason.Unspecified)
                {
                    return StatusCode.OK;
                }
            }
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }
}
