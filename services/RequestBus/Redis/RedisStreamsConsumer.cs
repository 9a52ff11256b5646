using System.Collections.Concurrent;
using Google.Protobuf;
using Platform.Contracts.Bus.V1;
using StackExchange.Redis;

namespace Platform.RequestBus.Redis;

/// <summary>
/// A member of the Redis consumer group. Each receive first claims an entry another consumer has held longer
/// than <see cref="BusOptions.RedeliverAfter"/> (its worker died; at most once per <see cref="BusOptions.PollInterval"/>),
/// then reads a new one; with none, it waits for a publish's wake-up (then reads at once) or the poll interval. Requeue and dead-letter add the new entry and
/// acknowledge the old one in one MULTI, so a crash between them cannot lose or double the request.
/// </summary>
internal sealed class RedisStreamsConsumer : BusConsumerBase
{
    private readonly RedisStreamsRequestBus _bus;
    private readonly string _name;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly ConcurrentDictionary<string, ReadOnlyMemory<byte>> _held = new(StringComparer.Ordinal);
    private readonly Action<RedisChannel, RedisValue> _onWake;
    private RedisValue _claimCursor = "0-0";
    private long _lastClaim;
    private bool _subscribed;

    public RedisStreamsConsumer(RedisStreamsRequestBus bus, string name, BusOptions options, TimeProvider time)
        : base(options, time)
    {
        _bus = bus;
        _name = name;
        _onWake = (_, _) => Signal();
        _lastClaim = time.GetTimestamp() - (long)(options.PollInterval.TotalSeconds * time.TimestampFrequency);
    }

    protected override async Task<RawDelivery> ReceiveRawAsync(CancellationToken cancellationToken)
    {
        if (!_subscribed)
        {
            await _bus.EnsureGroupAsync().ConfigureAwait(false);
            await _bus.Subscriber.SubscribeAsync(_bus.Wake, _onWake).ConfigureAwait(false);
            _subscribed = true;
        }
        var db = _bus.Database;
        bool woken = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Right after a publish's wake-up the new entry is read first: a claim round trip there would sit on the
            // request's time to first token. Each receive still claims first when one is due, before it waits.
            if (!woken && Time.GetElapsedTime(_lastClaim) >= Options.PollInterval && await ClaimAsync(db).ConfigureAwait(false) is { } claimed)
            {
                return claimed;
            }
            var entries = await db.StreamReadGroupAsync(_bus.Requests, Options.ConsumerGroup, _name, StreamPosition.NewMessages, count: 1).ConfigureAwait(false);
            if (entries.Length > 0)
            {
                return Hold(entries[0], 1);
            }
            woken = await _wake.WaitAsync(Options.PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<RawDelivery?> ClaimAsync(IDatabase db)
    {
        _lastClaim = Time.GetTimestamp();
        var result = await db.StreamAutoClaimAsync(_bus.Requests, Options.ConsumerGroup, _name,
            (long)Options.RedeliverAfter.TotalMilliseconds, _claimCursor, count: 1).ConfigureAwait(false);
        _claimCursor = result.NextStartId;
        if (result.ClaimedEntries is not [var entry, ..] || entry.IsNull || _held.ContainsKey(entry.Id!))
        {
            // Nothing stale, or this consumer's own slow entry (still being worked on here).
            return null;
        }
        // Another claim is likely right behind a dead worker's first entry: look again on the next receive.
        _lastClaim = 0;
        var pending = await db.StreamPendingMessagesAsync(_bus.Requests, Options.ConsumerGroup, 1, _name, entry.Id, entry.Id).ConfigureAwait(false);
        return Hold(entry, pending is [var info] ? info.DeliveryCount : 2);
    }

    private RawDelivery Hold(StreamEntry entry, int deliveries)
    {
        byte[] payload = (byte[]?)entry[RedisStreamsRequestBus.PayloadField] ?? [];
        string id = entry.Id!;
        _held[id] = payload;
        return new RawDelivery(payload, deliveries, id);
    }

    protected override async Task AckRawAsync(object handle)
    {
        var id = (string)handle;
        _held.TryRemove(id, out _);
        await _bus.Database.StreamAcknowledgeAsync(_bus.Requests, Options.ConsumerGroup, id).ConfigureAwait(false);
    }

    protected override async Task RequeueAsync(object handle, string key, byte[] next)
    {
        await ReplaceAsync((string)handle, _bus.Requests, next).ConfigureAwait(false);
        await _bus.Subscriber.PublishAsync(_bus.Wake, RedisValue.EmptyString, CommandFlags.FireAndForget).ConfigureAwait(false);
    }

    protected override Task DeadLetterRawAsync(object handle, DeadLetter letter) => ReplaceAsync((string)handle, _bus.DeadLetters, letter.ToByteArray());

    private async Task ReplaceAsync(string id, RedisKey stream, byte[] payload)
    {
        _held.TryRemove(id, out _);
        var transaction = _bus.Database.CreateTransaction();
        _ = _bus.AddAsync(transaction, stream, payload);
        _ = transaction.StreamAcknowledgeAsync(_bus.Requests, Options.ConsumerGroup, id);
        await transaction.ExecuteAsync().ConfigureAwait(false);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_subscribed)
        {
            await _bus.Subscriber.UnsubscribeAsync(_bus.Wake, _onWake).ConfigureAwait(false);
        }
        // Hand back what this consumer still holds, unchanged, rather than make it wait out RedeliverAfter.
        foreach (var (id, payload) in _held)
        {
            await ReplaceAsync(id, _bus.Requests, payload.ToArray()).ConfigureAwait(false);
        }
        _wake.Dispose();
    }

    private void Signal()
    {
        try
        {
            if (_wake.CurrentCount == 0)
            {
                _wake.Release();
            }
        }
        catch (Exception e) when (e is SemaphoreFullException or ObjectDisposedException)
        {
            // Already signalled, or the consumer is gone.
        }
    }
}
