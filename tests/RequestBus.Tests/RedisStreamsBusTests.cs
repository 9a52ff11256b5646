using Platform.RequestBus.Redis;

namespace Platform.RequestBus.Tests;

public sealed class RedisStreamsBusTests(RedisFixture redis) : BusContractTests, IClassFixture<RedisFixture>
{
    protected override Task<IRequestBus> CreateBusAsync(BusOptions options) =>
        Task.FromResult<IRequestBus>(new RedisStreamsRequestBus(redis.Require(), options, TimeProvider.System));

    [SkippableFact]
    public async Task An_entry_held_by_a_consumer_that_died_is_claimed_by_another_after_RedeliverAfter()
    {
        await using var bus = await CreateBusAsync(Options());
        await bus.PublishAsync(Request("orphan"));
        // Never acked nor disposed: its worker "died" holding the entry, which stays in the group's pending list.
        var dead = bus.CreateConsumer("dead");
        var held = await ReceiveAsync(dead);
        Assert.Equal(1, held.Deliveries);
        await using var alive = bus.CreateConsumer("alive");
        var claimed = await ReceiveAsync(alive);
        Assert.Equal("orphan", claimed.Request.RequestId);
        Assert.Equal(2, claimed.Deliveries);
        await alive.AckAsync(claimed);
        await WaitForLagAsync(bus, 0);
    }
}
