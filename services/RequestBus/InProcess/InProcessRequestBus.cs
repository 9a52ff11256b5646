using System.Collections.Concurrent;
using System.Threading.Channels;
using Platform.Contracts.Bus.V1;

namespace Platform.RequestBus.InProcess;

/// <summary>
/// The bus inside one process (all-in-one mode): a queue with the same delivery contract as the durable
/// transports (ack, redelivery, dead letters, lag), without the durability: a process restart loses it.
/// </summary>
public sealed class InProcessRequestBus(BusOptions options, TimeProvider time) : IRequestBus
{
    private readonly Channel<InProcessEntry> _queue = Channel.CreateUnbounded<InProcessEntry>();
    private readonly ConcurrentQueue<DeadLetter> _deadLetters = new();
    private readonly ConcurrentQueue<UsageEvent> _usage = new();
    private long _unacked;

    public BusKind Kind => BusKind.InProcess;

    public Task PublishAsync(BusRequest request, CancellationToken cancellationToken = default) =>
        PublishEncodedAsync(request.Key, BusCodec.Encode(request), cancellationToken);

    public Task PublishEncodedAsync(string key, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _unacked);
        Enqueue(new InProcessEntry(payload.ToArray()));
        return Task.CompletedTask;
    }

    public Task PublishUsageAsync(UsageEvent usage, CancellationToken cancellationToken = default)
    {
        _usage.Enqueue(usage.Clone());
        return Task.CompletedTask;
    }

    public IBusConsumer CreateConsumer(string consumerName) => new InProcessConsumer(this, options, time);

    public Task<long> GetLagAsync(CancellationToken cancellationToken = default) => Task.FromResult(Interlocked.Read(ref _unacked));

    public Task<IReadOnlyList<DeadLetter>> ReadDeadLettersAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<DeadLetter>>([.. _deadLetters]);

    public Task<IReadOnlyList<UsageEvent>> ReadUsageEventsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<UsageEvent>>([.. _usage]);

    public ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    internal ChannelReader<InProcessEntry> Queue => _queue.Reader;

    internal void Enqueue(InProcessEntry entry) => _queue.Writer.TryWrite(entry);

    internal void Acknowledged() => Interlocked.Decrement(ref _unacked);

    internal void AddDeadLetter(DeadLetter letter) => _deadLetters.Enqueue(letter);

    /// <summary>A replacement for an acknowledged entry: the count of unacknowledged requests stays the same.</summary>
    internal void Requeue(byte[] payload) => Enqueue(new InProcessEntry(payload));

}
