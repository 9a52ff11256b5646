using Platform.Contracts.Bus.V1;

namespace Platform.RequestBus;

/// <summary>A request as a consumer received it.</summary>
/// <param name="Request">The decoded message.</param>
/// <param name="Deliveries">This delivery's number, 1 for the first (a redelivery after a failure or a dead worker counts).</param>
/// <param name="Payload">The message's bytes as they are on the bus.</param>
public sealed record BusDelivery(BusRequest Request, int Deliveries, ReadOnlyMemory<byte> Payload)
{
    /// <summary>The transport's own handle (entry id, topic-partition-offset).</summary>
    internal object Handle { get; init; } = new();
}
