namespace Platform.Gateway.Tests;

/// <summary>A client that goes away mid-stream cancels its engine request and frees its KV at once.</summary>
[Collection(StoriesGatewayCollection.Name)]
public sealed class DisconnectTests(StoriesGatewayFixture fixture)
{
    [SkippableFact]
    public async Task ClientDisconnectMidStreamFreesTheKvCache()
    {
        var server = fixture.Server;
        var engine = server.Engine;
        long generatedBefore = engine.Stats().GenerationTokensTotal;
        const int MaxTokens = 480;

        using (var request = await StreamingRequest.StartAsync(server.BaseUrl, MaxTokens))
        {
            Assert.Contains("text_completion", request.FirstEvent, StringComparison.Ordinal);
            Assert.True(engine.Stats().NumFreeBlocks < engine.Stats().NumTotalBlocks);
        }

        using var cts = new CancellationTokenSource(GatewayServer.Timeout);
        while (true)
        {
            var stats = engine.Stats();
            if (stats.NumFreeBlocks == stats.NumTotalBlocks && stats.NumRequestsRunning == 0 && stats.NumRequestsWaiting == 0)
            {
                // Freed because it was cancelled, not because it ran to its end.
                Assert.True(stats.GenerationTokensTotal - generatedBefore < MaxTokens,
                    $"generated {stats.GenerationTokensTotal - generatedBefore} tokens");
                break;
            }
            await Task.Delay(20, cts.Token);
        }
        Assert.False(engine.HasUnfinishedRequests);
    }
}
