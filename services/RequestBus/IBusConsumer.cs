namespace Platform.RequestBus;

/// <summary>
/// One member of the prefill workers' consumer group. Not thread-safe for <see cref="ReceiveAsync"/> (one loop
/// receives); ack, nack and dead-letter may come from any thread, in any order. Disposing without acking hands
/// the held requests back for redelivery (as a crash would, only sooner).
/// </summary>
public interface IBusConsumer : IAsyncDisposable
{
    /// <summary>
    /// The next request, waiting until one is there. Messages that do not parse, carry an unknown schema
    /// version or were delivered more than <see cref="BusOptions.MaxDeliveries"/> times go to the dead-letter
    /// topic here and are never returned.
    /// </summary>
    Task<BusDelivery> ReceiveAsync(CancellationToken cancellationToken);

    /// <summary>Done: the request is never delivered again.</summary>
    Task AckAsync(BusDelivery delivery);

    /// <summary>Failed this time: delivered again later, or dead-lettered with <paramref name="reason"/> when it used its last delivery. True when dead-lettered.</summary>
    Task<bool> NackAsync(BusDelivery delivery, string reason);

    /// <summary>Cannot succeed: straight to the dead-letter topic with <paramref name="reason"/>.</summary>
    Task DeadLetterAsync(BusDelivery delivery, string reason);
}
