using Platform.Contracts.Bus.V1;

namespace Platform.RequestBus;

/// <summary>
/// The request bus: the Gateway publishes generation requests, prefill workers consume them at their own
/// pace with at-least-once delivery (ack after the work, redelivery when a worker fails or dies, the dead-letter
/// topic after <see cref="BusOptions.MaxDeliveries"/>), and finished requests leave one usage event each.
/// One instance per process: it owns the process's connection or producer.
/// </summary>
public interface IRequestBus : IAsyncDisposable
{
    BusKind Kind { get; }

    /// <summary>Durably accepted when the task completes (Kafka: acks=all; Redis: XADD answered).</summary>
    Task PublishAsync(BusRequest request, CancellationToken cancellationToken = default);

    /// <summary>Puts already-encoded bytes on the request topic under <paramref name="key"/> (re-driving a dead letter).</summary>
    Task PublishEncodedAsync(string key, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default);

    Task PublishUsageAsync(UsageEvent usage, CancellationToken cancellationToken = default);

    /// <summary>A member of the consumer group; each request goes to one member at a time.</summary>
    IBusConsumer CreateConsumer(string consumerName);

    /// <summary>Requests accepted and not yet acknowledged (waiting plus being processed): what back-pressure reads.</summary>
    Task<long> GetLagAsync(CancellationToken cancellationToken = default);

    /// <summary>Everything on the dead-letter topic, oldest first (operations and tests).</summary>
    Task<IReadOnlyList<DeadLetter>> ReadDeadLettersAsync(CancellationToken cancellationToken = default);

    /// <summary>Everything on the usage-events topic, oldest first (operations and tests).</summary>
    Task<IReadOnlyList<UsageEvent>> ReadUsageEventsAsync(CancellationToken cancellationToken = default);
}
