using System.Collections.Concurrent;
using Platform.Contracts.Bus.V1;

namespace Platform.RequestBus.InProcess;

/// <summary>A consumer of <see cref="InProcessRequestBus"/>; disposing it puts what it held back on the queue.</summary>
internal sealed class InProcessConsumer(InProcessRequestBus bus, BusOptions options, TimeProvider time) : BusConsumerBase(options, time)
{
    private readonly ConcurrentDictionary<InProcessEntry, byte> _held = new();

    protected override async Task<RawDelivery> ReceiveRawAsync(CancellationToken cancellationToken)
    {
        var entry = await bus.Queue.ReadAsync(cancellationToken).ConfigureAwait(false);
        entry.Unsettle();
        _held[entry] = 0;
        return new RawDelivery(entry.Payload, entry.Deliver(), entry);
    }

    protected override Task AckRawAsync(object handle)
    {
        if (Settle(handle))
        {
            bus.Acknowledged();
        }
        return Task.CompletedTask;
    }

    protected override Task RequeueAsync(object handle, string key, byte[] next)
    {
        if (Settle(handle))
        {
            bus.Requeue(next);
        }
        return Task.CompletedTask;
    }

    protected override Task DeadLetterRawAsync(object handle, DeadLetter letter)
    {
        if (Settle(handle))
        {
            bus.AddDeadLetter(letter);
            bus.Acknowledged();
        }
        return Task.CompletedTask;
    }

    public override ValueTask DisposeAsync()
    {
        foreach (var entry in _held.Keys)
        {
            if (_held.TryRemove(entry, out _) && entry.TrySettle())
            {
                bus.Enqueue(entry);
            }
        }
        return ValueTask.CompletedTask;
    }

    private bool Settle(object handle)
    {
        var entry = (InProcessEntry)handle;
        return _held.TryRemove(entry, out _) && entry.TrySettle();
    }
}
