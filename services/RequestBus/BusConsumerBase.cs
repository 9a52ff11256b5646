using Platform.Contracts.Bus.V1;

namespace Platform.RequestBus;

/// <summary>
/// What every transport's consumer shares: decoding (bytes that cannot be processed go to the dead-letter topic
/// at once), delivery counting (the attempt carried in the message plus the transport's own redeliveries), and
/// the nack policy (publish the next attempt, or dead-letter after <see cref="BusOptions.MaxDeliveries"/>).
/// </summary>
internal abstract class BusConsumerBase(BusOptions options, TimeProvider time) : IBusConsumer
{
    protected BusOptions Options => options;

    protected TimeProvider Time => time;

    public async Task<BusDelivery> ReceiveAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var raw = await ReceiveRawAsync(cancellationToken).ConfigureAwait(false);
            var request = BusCodec.TryDecode(raw.Payload.Span, out var reason);
            if (request is null)
            {
                await DeadLetterRawAsync(raw.Handle, BusCodec.DeadLetter(raw.Payload, BusCodec.PeekRequestId(raw.Payload.Span), reason, raw.TransportDeliveries, time))
                    .ConfigureAwait(false);
                continue;
            }
            return new BusDelivery(request, request.Attempt + raw.TransportDeliveries, raw.Payload) { Handle = raw.Handle };
        }
    }

    public Task AckAsync(BusDelivery delivery) => AckRawAsync(delivery.Handle);

    public async Task<bool> NackAsync(BusDelivery delivery, string reason)
    {
        if (delivery.Deliveries >= options.MaxDeliveries)
        {
            await DeadLetterAsync(delivery, $"failed {delivery.Deliveries} deliveries; last: {reason}").ConfigureAwait(false);
            return true;
        }
        await RequeueAsync(delivery.Handle, delivery.Request.Key, BusCodec.NextAttempt(delivery.Request)).ConfigureAwait(false);
        return false;
    }

    public Task DeadLetterAsync(BusDelivery delivery, string reason) =>
        DeadLetterRawAsync(delivery.Handle, BusCodec.DeadLetter(delivery.Payload, delivery.Request.RequestId, reason, delivery.Deliveries, time));

    public abstract ValueTask DisposeAsync();

    /// <summary>The next message's bytes, how many times the transport has delivered it (1 the first time), and its handle.</summary>
    protected abstract Task<RawDelivery> ReceiveRawAsync(CancellationToken cancellationToken);

    protected abstract Task AckRawAsync(object handle);

    /// <summary>Publishes <paramref name="next"/> on the request topic and acknowledges the delivery it replaces.</summary>
    protected abstract Task RequeueAsync(object handle, string key, byte[] next);

    /// <summary>Publishes <paramref name="letter"/> on the dead-letter topic and acknowledges the delivery.</summary>
    protected abstract Task DeadLetterRawAsync(object handle, DeadLetter letter);

    protected readonly record struct RawDelivery(ReadOnlyMemory<byte> Payload, int TransportDeliveries, object Handle);
}
