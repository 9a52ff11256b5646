using System.Collections.Concurrent;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Platform.Engine.Serving;
using Platform.PhaseSplit;
using Platform.PhaseSplit.Hosting;

namespace Platform.Decode;

/// <summary>
/// Where a <c>Generate</c> subscription meets the KV transfer of the same request id, whichever comes first.
/// A side that waits longer than <see cref="DecodeOptions.KvArrivalTimeout"/> gives up, and whatever the
/// request held is freed; an abandoned id stays known that long, so KV arriving late is refused.
/// </summary>
public sealed partial class PendingGenerations(EngineHost host, IOptions<DecodeOptions> options, TimeProvider time, ILogger<PendingGenerations> logger)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    private TimeSpan Timeout => options.Value.KvArrivalTimeout;

    /// <summary>Waits for the request's KV to commit; fails with the transfer's status, or DEADLINE_EXCEEDED after <paramref name="timeout"/>.</summary>
    public async Task<CommittedKv> SubscribeAsync(string requestId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var entry = _entries.GetOrAdd(requestId, _ => new Entry());
        if (Interlocked.Exchange(ref entry.Subscribed, 1) == 1)
        {
            throw Faults.Of(StatusCode.AlreadyExists, $"request '{requestId}' already has a subscriber");
        }
        try
        {
            var stream = await entry.Stream.Task.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
            _entries.TryRemove(KeyValuePair.Create(requestId, entry));
            return stream;
        }
        catch (TimeoutException)
        {
            Abandon(requestId, entry);
            LogKvNeverArrived(logger, requestId, timeout);
            throw Faults.Of(StatusCode.DeadlineExceeded, $"the KV of request '{requestId}' did not arrive within {timeout}");
        }
        catch (OperationCanceledException)
        {
            Abandon(requestId, entry);
            throw;
        }
    }

    /// <summary>The request's KV is in and it is decoding. False when its subscriber already gave up: the caller cancels it.</summary>
    public bool Publish(string requestId, CommittedKv stream)
    {
        var entry = _entries.GetOrAdd(requestId, _ => new Entry());
        if (entry.Abandoned || !entry.Stream.TrySetResult(stream))
        {
            return false;
        }
        if (Volatile.Read(ref entry.Subscribed) == 0)
        {
            After(Timeout, () =>
            {
                if (Volatile.Read(ref entry.Subscribed) == 0 && _entries.TryRemove(KeyValuePair.Create(requestId, entry)))
                {
                    entry.Abandoned = true;
                    host.Engine.Cancel(requestId);
                    LogNoSubscriber(logger, requestId, Timeout);
                }
            });
        }
        return true;
    }

    /// <summary>The transfer failed: a subscriber (now or arriving later) gets its status.</summary>
    public void Fail(string requestId, RpcException error)
    {
        var entry = _entries.GetOrAdd(requestId, _ => new Entry());
        if (entry.Stream.TrySetException(error))
        {
            ForgetLater(requestId, entry);
        }
    }

    /// <summary>Nobody will send the request's KV: its subscriber, waiting or still to come, gets <paramref name="error"/>. False when the KV already committed.</summary>
    public bool GiveUp(string requestId, RpcException error)
    {
        var entry = _entries.GetOrAdd(requestId, _ => new Entry());
        if (!entry.Stream.TrySetException(error))
        {
            return false;
        }
        ForgetLater(requestId, entry);
        return true;
    }

    /// <summary>Drops a request whose KV has not committed yet. False when none was pending.</summary>
    public bool Cancel(string requestId)
    {
        if (!_entries.TryGetValue(requestId, out var entry) || entry.Stream.Task.IsCompleted)
        {
            return false;
        }
        entry.Abandoned = true;
        entry.Stream.TrySetException(Faults.Of(StatusCode.Cancelled, $"request '{requestId}' was cancelled"));
        ForgetLater(requestId, entry);
        return true;
    }

    public bool IsAbandoned(string requestId) => _entries.TryGetValue(requestId, out var entry) && entry.Abandoned;

    private void Abandon(string requestId, Entry entry)
    {
        entry.Abandoned = true;
        // The KV may have committed in the same instant: that request has no reader, so stop it.
        if (entry.Stream.Task.IsCompletedSuccessfully)
        {
            host.Engine.Cancel(requestId);
        }
        ForgetLater(requestId, entry);
    }

    private void ForgetLater(string requestId, Entry entry) =>
        After(Timeout, () => _entries.TryRemove(KeyValuePair.Create(requestId, entry)));

    private void After(TimeSpan delay, Action action) =>
        _ = Task.Delay(delay, time).ContinueWith(_ => action(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private sealed class Entry
    {
        public readonly TaskCompletionSource<CommittedKv> Stream = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Subscribed;
        public volatile bool Abandoned;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The KV of request {RequestId} did not arrive within {Timeout}; its subscriber gets DEADLINE_EXCEEDED")]
    private static partial void LogKvNeverArrived(ILogger logger, string requestId, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId} got its KV but no subscriber within {Timeout}; cancelled")]
    private static partial void LogNoSubscriber(ILogger logger, string requestId, TimeSpan timeout);
}
