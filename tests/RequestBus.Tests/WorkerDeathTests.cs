using System.ClientModel;
using Grpc.Core;
using OpenAI;
using OpenAI.Chat;
using Platform.Contracts.Bus.V1;
using Platform.Contracts.Inference.V1;

namespace Platform.RequestBus.Tests;

/// <summary>
/// Real processes on loopback (redis-server, Decode, two prefill workers, a Split-mode Gateway on a Redis
/// Streams bus): a worker killed while it holds a request, and a request delivered twice.
/// </summary>
public sealed class WorkerDeathTests(RedeliveryFixture fixture) : IClassFixture<RedeliveryFixture>
{
    private const string Prompt = "Tell me a story about a cat";

    private BusProcesses Processes => fixture.Processes;

    [SkippableFact]
    public async Task A_request_whose_worker_dies_holding_it_is_redelivered_and_its_client_gets_one_full_answer_and_one_usage_event()
    {
        Processes.Require();
        var chat = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri($"{Processes.Gateway.BaseUrl}/v1") })
            .GetChatClient("stories");
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 24 };
        ChatCompletion reference = await chat.CompleteChatAsync([new UserChatMessage(Prompt)], options);

        // With the decode process paused, a worker that takes the request holds it: its KV transfer cannot finish.
        Processes.Decode.Pause();
        Task<ClientResult<ChatCompletion>> answer;
        ServiceProcess holder;
        try
        {
            answer = chat.CompleteChatAsync([new UserChatMessage(Prompt)], options);
            holder = await HolderAsync(TimeSpan.FromSeconds(30));
            holder.Kill();
        }
        finally
        {
            Processes.Decode.Resume();
        }

        ChatCompletion completion = await answer.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(reference.Content[0].Text, completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal(24, completion.Usage.OutputTokenCount);
        await Processes.WaitForLagAsync(lag => lag == 0, TimeSpan.FromSeconds(30));
        string id = $"{completion.Id}-0";
        var events = await UsageOfAsync(id);
        var usage = Assert.Single(events);
        Assert.Equal(24, usage.CompletionTokens);
        Assert.Equal("stories", usage.Model);
        Assert.True(holder.HasExited);
    }

    [SkippableFact]
    public async Task A_request_delivered_twice_is_answered_once_and_its_second_KV_is_acknowledged_and_ignored()
    {
        Processes.Require();
        string id = $"twice-{Guid.NewGuid():N}";
        var spec = new GenerationSpec
        {
            SchemaVersion = 1,
            RequestId = id,
            PromptTokenIds = { 1, 403, 407, 261, 378, 264 },
            Sampling = new SamplingParams { Temperature = 0, TopP = 1, MaxTokens = 8 },
        };
        var decode = new DecodeService.DecodeServiceClient(Processes.Decode.Channel);
        using var subscription = decode.Generate(spec, deadline: DateTime.UtcNow.AddSeconds(60));
        var message = new BusRequest
        {
            SchemaVersion = BusCodec.SchemaVersion,
            RequestId = id,
            Key = id,
            Spec = spec,
            Decode = new DecodeTarget { Address = Processes.Decode.Address },
        };
        // As Kafka does after a rebalance, or Redis after a slow worker's entry was claimed: the same request twice.
        await Processes.Bus.PublishAsync(message);
        await Processes.Bus.PublishAsync(message);

        var events = new List<TokenEvent>();
        await foreach (var e in subscription.ResponseStream.ReadAllAsync())
        {
            events.Add(e);
        }
        Assert.Equal(8, events.Count(e => e.Token is not null));
        Assert.Single(events, e => e.FinishReason != Contracts.Inference.V1.FinishReason.Unspecified);
        await Processes.WaitForLagAsync(lag => lag == 0, TimeSpan.FromSeconds(30));
        Assert.Contains("outcome=\"duplicate\"", await Http.MetricsAsync(Processes.Decode), StringComparison.Ordinal);
    }

    /// <summary>The worker whose KV transfer is in flight (it took the request and cannot finish it).</summary>
    private async Task<ServiceProcess> HolderAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            foreach (var worker in Processes.Workers.Where(w => !w.HasExited))
            {
                if ((await worker.GetLoadAsync()).KvTransfersInFlight > 0)
                {
                    return worker;
                }
            }
            Assert.False(cts.IsCancellationRequested, "no worker took the request");
            await Task.Delay(20);
        }
    }

    private async Task<List<UsageEvent>> UsageOfAsync(string requestId)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var events = (await Processes.Bus.ReadUsageEventsAsync()).Where(e => e.RequestId == requestId).ToList();
        while (events.Count == 0 && !cts.IsCancellationRequested)
        {
            await Task.Delay(50);
            events = [.. (await Processes.Bus.ReadUsageEventsAsync()).Where(e => e.RequestId == requestId)];
        }
        return events;
    }
}
