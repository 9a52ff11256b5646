using Google.Protobuf.WellKnownTypes;
using Platform.Contracts.Bus.V1;
using Platform.Contracts.Inference.V1;

namespace Platform.RequestBus.Tests;

/// <summary>
/// The delivery contract every bus transport keeps, run against each (InProcess, Redis Streams on a real
/// redis-server, Kafka on librdkafka's mock cluster and on a real broker where one is available). Each test
/// uses its own topic prefix and consumer group.
/// </summary>
public abstract class BusContractTests
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>A bus of this transport with <paramref name="options"/>; skips when the transport cannot run here.</summary>
    protected abstract Task<IRequestBus> CreateBusAsync(BusOptions options);

    protected static BusOptions Options(int maxDeliveries = 3) => new()
    {
        Prefix = $"t{Guid.NewGuid():N}",
        ConsumerGroup = $"g{Guid.NewGuid():N}",
        MaxDeliveries = maxDeliveries,
        RedeliverAfter = TimeSpan.FromMilliseconds(300),
        PollInterval = TimeSpan.FromMilliseconds(50),
        KafkaSessionTimeout = TimeSpan.FromSeconds(6),
        KafkaFetchWaitMax = TimeSpan.FromMilliseconds(5),
    };

    protected static BusRequest Request(string id, string? key = null) => new()
    {
        SchemaVersion = BusCodec.SchemaVersion,
        RequestId = id,
        Key = key ?? id,
        Tenant = "tenant-a",
        Model = "stories",
        Deadline = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(1)),
        Spec = new GenerationSpec { SchemaVersion = 1, RequestId = id, PromptTokenIds = { 1, 2, 3 }, Sampling = new SamplingParams { MaxTokens = 4, TopP = 1 } },
        Decode = new DecodeTarget { Address = "http://127.0.0.1:1" },
    };

    protected static Task<BusDelivery> ReceiveAsync(IBusConsumer consumer)
    {
        using var cts = new CancellationTokenSource(Timeout);
        return consumer.ReceiveAsync(cts.Token);
    }

    [SkippableFact]
    public async Task A_published_request_arrives_whole_once_and_leaves_no_lag_after_its_ack()
    {
        await using var bus = await CreateBusAsync(Options());
        var sent = Request("r-1");
        await bus.PublishAsync(sent);
        await using var consumer = bus.CreateConsumer("c1");
        var delivery = await ReceiveAsync(consumer);
        Assert.Equal(sent, delivery.Request);
        Assert.Equal(1, delivery.Deliveries);
        Assert.Equal(1, await bus.GetLagAsync());
        await consumer.AckAsync(delivery);
        await WaitForLagAsync(bus, 0);
    }

    [SkippableFact]
    public async Task Lag_counts_waiting_and_held_requests_until_each_is_acknowledged()
    {
        await using var bus = await CreateBusAsync(Options());
        for (int i = 0; i < 3; i++)
        {
            await bus.PublishAsync(Request($"lag-{i}"));
        }
        Assert.Equal(3, await bus.GetLagAsync());
        await using var consumer = bus.CreateConsumer("c1");
        var first = await ReceiveAsync(consumer);
        Assert.Equal(3, await bus.GetLagAsync());
        await consumer.AckAsync(first);
        await WaitForLagAsync(bus, 2);
    }

    [SkippableFact]
    public async Task A_nacked_request_comes_back_with_its_next_delivery_then_goes_to_the_dead_letter_topic_with_the_reason()
    {
        await using var bus = await CreateBusAsync(Options(maxDeliveries: 2));
        await bus.PublishAsync(Request("poison"));
        await using var consumer = bus.CreateConsumer("c1");
        var first = await ReceiveAsync(consumer);
        Assert.False(await consumer.NackAsync(first, "engine said no"));
        var second = await ReceiveAsync(consumer);
        Assert.Equal("poison", second.Request.RequestId);
        Assert.Equal(2, second.Deliveries);
        Assert.True(await consumer.NackAsync(second, "engine said no again"));
        var letters = await WaitForAsync(bus.ReadDeadLettersAsync, l => l.Count >= 1);
        var letter = Assert.Single(letters);
        Assert.Equal("poison", letter.RequestId);
        Assert.Equal(2, letter.Deliveries);
        Assert.Contains("engine said no again", letter.Reason, StringComparison.Ordinal);
        Assert.Equal("poison", BusRequest.Parser.ParseFrom(letter.Original).RequestId);
        await WaitForLagAsync(bus, 0);
    }

    [SkippableFact]
    public async Task Bytes_that_are_not_a_request_go_to_the_dead_letter_topic_and_the_next_request_is_delivered()
    {
        await using var bus = await CreateBusAsync(Options());
        await bus.PublishEncodedAsync("k", new byte[] { 0xff, 0xff, 0xff, 0x01 });
        var future = Request("from-the-future", "k");
        future.SchemaVersion = BusCodec.SchemaVersion + 1;
        await bus.PublishEncodedAsync("k", Google.Protobuf.MessageExtensions.ToByteArray(future));
        await bus.PublishAsync(Request("fine", "k"));
        await using var consumer = bus.CreateConsumer("c1");
        var delivery = await ReceiveAsync(consumer);
        Assert.Equal("fine", delivery.Request.RequestId);
        await consumer.AckAsync(delivery);
        var letters = await WaitForAsync(bus.ReadDeadLettersAsync, l => l.Count >= 2);
        Assert.Contains(letters, l => l.Reason.Contains("not a platform.bus.v1.BusRequest", StringComparison.Ordinal));
        Assert.Contains(letters, l => l.RequestId == "from-the-future" && l.Reason.Contains("schema_version", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task A_consumer_that_stops_without_acking_hands_its_request_to_another()
    {
        await using var bus = await CreateBusAsync(Options());
        await bus.PublishAsync(Request("handed-back"));
        var first = bus.CreateConsumer("c1");
        var held = await ReceiveAsync(first);
        Assert.Equal("handed-back", held.Request.RequestId);
        await first.DisposeAsync();
        await using var second = bus.CreateConsumer("c2");
        var again = await ReceiveAsync(second);
        Assert.Equal("handed-back", again.Request.RequestId);
        await second.AckAsync(again);
        await WaitForLagAsync(bus, 0);
    }

    [SkippableFact]
    public async Task Requests_with_one_key_arrive_in_the_order_they_were_published()
    {
        await using var bus = await CreateBusAsync(Options());
        for (int i = 0; i < 5; i++)
        {
            await bus.PublishAsync(Request($"turn-{i}", "conversation-1"));
        }
        await using var consumer = bus.CreateConsumer("c1");
        for (int i = 0; i < 5; i++)
        {
            var delivery = await ReceiveAsync(consumer);
            Assert.Equal($"turn-{i}", delivery.Request.RequestId);
            await consumer.AckAsync(delivery);
        }
    }

    [SkippableFact]
    public async Task Usage_events_are_kept_once_each()
    {
        await using var bus = await CreateBusAsync(Options());
        await bus.PublishUsageAsync(new UsageEvent { RequestId = "u-1", Tenant = "t", PromptTokens = 5, CompletionTokens = 7 });
        await bus.PublishUsageAsync(new UsageEvent { RequestId = "u-2", Tenant = "t", PromptTokens = 1, CompletionTokens = 2 });
        var events = await WaitForAsync(bus.ReadUsageEventsAsync, e => e.Count >= 2);
        Assert.Equal(["u-1", "u-2"], events.Select(e => e.RequestId).Order());
        Assert.Equal(7, events.Single(e => e.RequestId == "u-1").CompletionTokens);
    }

    protected static async Task WaitForLagAsync(IRequestBus bus, long expected)
    {
        long lag = await WaitForAsync(bus.GetLagAsync, l => l == expected);
        Assert.Equal(expected, lag);
    }

    /// <summary>Reads until <paramref name="done"/> holds (committed offsets and streams settle asynchronously), returning the last read.</summary>
    protected static async Task<T> WaitForAsync<T>(Func<CancellationToken, Task<T>> read, Func<T, bool> done)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var value = await read(cts.Token);
        while (!done(value) && !cts.IsCancellationRequested)
        {
            await Task.Delay(50);
            value = await read(cts.Token);
        }
        return value;
    }
}
