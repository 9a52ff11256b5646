namespace Platform.RequestBus;

/// <summary>
/// What a worker makes of a delivery before computing it, the same for every worker: its time on the bus is
/// recorded; then a request delivered more than <c>Bus:MaxDeliveries</c> times goes to the dead-letter topic
/// (it may be what kills its workers), and one past its deadline is acknowledged without being computed.
/// </summary>
/// <param name="Verdict">What to do with it.</param>
/// <param name="DeadLetterReason">Why it goes to the dead-letter topic (<see cref="BusVerdict.DeadLetter"/> only).</param>
/// <param name="Deadline">The deadline it passed (<see cref="BusVerdict.Expired"/> only).</param>
/// <param name="Late">How long ago it passed it.</param>
public sealed record BusTriage(BusVerdict Verdict, string? DeadLetterReason = null, DateTimeOffset? Deadline = null, TimeSpan Late = default)
{
    public static BusTriage Of(BusDelivery delivery, BusKind kind, BusMetrics metrics, int maxDeliveries, DateTimeOffset now)
    {
        var request = delivery.Request;
        if (request.PublishedAt is { } published)
        {
            metrics.RecordQueueTime(kind, Math.Max(0, (now - published.ToDateTimeOffset()).TotalSeconds));
        }
        if (delivery.Deliveries > maxDeliveries)
        {
            return new BusTriage(BusVerdict.DeadLetter, $"delivered {delivery.Deliveries} times without being acknowledged (Bus:MaxDeliveries {maxDeliveries})");
        }
        if (request.Deadline?.ToDateTimeOffset() is { } until && until <= now)
        {
            return new BusTriage(BusVerdict.Expired, Deadline: until, Late: now - until);
        }
        return new BusTriage(BusVerdict.Run);
    }
}
