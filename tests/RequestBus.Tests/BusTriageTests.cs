using System.Diagnostics.Metrics;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.Bus.V1;

namespace Platform.RequestBus.Tests;

/// <summary>The checks every bus worker makes before computing a delivery, in their order.</summary>
public sealed class BusTriageTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    private static BusDelivery Delivery(int deliveries, DateTimeOffset? deadline) => new(
        new BusRequest
        {
            RequestId = "r",
            PublishedAt = Timestamp.FromDateTimeOffset(Now.AddSeconds(-1.5)),
            Deadline = deadline is { } d ? Timestamp.FromDateTimeOffset(d) : null,
        },
        deliveries,
        ReadOnlyMemory<byte>.Empty);

    [Fact]
    public void A_request_in_time_and_under_the_delivery_limit_runs_and_its_time_on_the_bus_is_recorded()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        var queued = new List<double>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == factory && instrument.Name == "bus_queue_seconds")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) => queued.Add(value));
        listener.Start();
        var triage = BusTriage.Of(Delivery(3, Now.AddSeconds(1)), BusKind.RedisStreams, new BusMetrics(factory), maxDeliveries: 3, Now);
        Assert.Equal(BusVerdict.Run, triage.Verdict);
        Assert.Equal([1.5], queued);
    }

    [Fact]
    public void Too_many_deliveries_go_to_the_dead_letter_topic_before_the_deadline_is_looked_at()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new BusMetrics(services.GetRequiredService<IMeterFactory>());
        var triage = BusTriage.Of(Delivery(4, Now.AddSeconds(-1)), BusKind.Kafka, metrics, maxDeliveries: 3, Now);
        Assert.Equal(BusVerdict.DeadLetter, triage.Verdict);
        Assert.Equal("delivered 4 times without being acknowledged (Bus:MaxDeliveries 3)", triage.DeadLetterReason);
    }

    [Fact]
    public void A_request_past_its_deadline_expires_and_says_how_late_it_is()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new BusMetrics(services.GetRequiredService<IMeterFactory>());
        var triage = BusTriage.Of(Delivery(1, Now.AddSeconds(-2)), BusKind.InProcess, metrics, maxDeliveries: 3, Now);
        Assert.Equal((BusVerdict.Expired, Now.AddSeconds(-2), TimeSpan.FromSeconds(2)), (triage.Verdict, triage.Deadline, triage.Late));
        // Exactly at the deadline is too late as well; no deadline never expires.
        Assert.Equal(BusVerdict.Expired, BusTriage.Of(Delivery(1, Now), BusKind.InProcess, metrics, 3, Now).Verdict);
        Assert.Equal(BusVerdict.Run, BusTriage.Of(Delivery(1, null), BusKind.InProcess, metrics, 3, Now).Verdict);
    }
}
