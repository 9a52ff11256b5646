using Grpc.Core;
using Microsoft.Extensions.Options;
using Platform.Contracts.Bus.V1;
using Platform.Contracts.Inference.V1;
using Platform.PhaseSplit.Invocation;
using Platform.RequestBus;

namespace Platform.Prefill;

/// <summary>
/// Takes requests from the bus at this worker's own pace (<see cref="BusWorkerOptions.MaxConcurrent"/> at a time),
/// prefills each to the decode instance the Gateway chose, and acknowledges it only once the decode side
/// acknowledged the KV. A request past its deadline is not computed; one that keeps failing here is
/// dead-lettered. In both cases the decode side is told the reason (Decode.Cancel with a reason), and the
/// Gateway's subscription there hands it to the client instead of letting it wait. A failure the decode side
/// reported (no room, cancelled) is already known to the Gateway, which chooses another decode instance.
/// </summary>
public sealed partial class BusPrefillWorker(
    IRequestBus bus,
    KvSender sender,
    IGrpcChannelFactory channels,
    BusMetrics metrics,
    IOptions<BusOptions> busOptions,
    IOptions<BusWorkerOptions> options,
    IOptions<PrefillOptions> prefillOptions,
    TimeProvider time,
    ILogger<BusPrefillWorker> logger) : BackgroundService
{
    private static readonly TimeSpan NotifyTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan BusyRetryDelay = TimeSpan.FromMilliseconds(200);

    /// <summary>What the decode side (KvReceiver) says when another sender is transferring the same request's KV.</summary>
    private const string DecodeBusyDetail = "is already being received from another sender";

    /// <summary>Requests this worker is prefilling, by id: a second delivery of one waits for the first.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Task> _inFlight = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string name = options.Value.ConsumerName ?? $"prefill-{Environment.MachineName}-{Environment.ProcessId}";
        var slots = new SemaphoreSlim(options.Value.MaxConcurrent);
        var running = new HashSet<Task>();
        await using var consumer = bus.CreateConsumer(name);
        LogConsuming(logger, bus.Kind, name, options.Value.MaxConcurrent);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var delivery = await consumer.ReceiveInSlotAsync(slots, e => LogReceiveFailed(logger, e), time, stoppingToken).ConfigureAwait(false);
                var work = ProcessAsync(consumer, delivery, stoppingToken);
                lock (running)
                {
                    running.Add(work);
                }
                _ = work.ContinueWith(t =>
                {
                    slots.Release();
                    lock (running)
                    {
                        running.Remove(t);
                    }
                }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: what is still held goes back to the bus when the consumer is disposed.
        }
        Task[] left;
        lock (running)
        {
            left = [.. running];
        }
        await Task.WhenAll(left).ConfigureAwait(false);
    }

    private async Task ProcessAsync(IBusConsumer consumer, BusDelivery delivery, CancellationToken stoppingToken)
    {
        var request = delivery.Request;
        var triage = BusTriage.Of(delivery, bus.Kind, metrics, busOptions.Value.MaxDeliveries, time.GetUtcNow());
        try
        {
            switch (triage.Verdict)
            {
                case BusVerdict.DeadLetter:
                    // Its workers kept dying before acknowledging it: it may be what kills them.
                    await DeadLetterAsync(consumer, delivery, $"{triage.DeadLetterReason}; the workers holding it stopped").ConfigureAwait(false);
                    return;
                case BusVerdict.Expired:
                    string reason = $"request '{request.RequestId}' passed its deadline ({triage.Deadline:O}) before a prefill worker took it; it was not computed";
                    // Counted before the ack, so whoever sees the lag drop also sees the count.
                    metrics.Record(bus.Kind, "expired");
                    await consumer.AckAsync(delivery).ConfigureAwait(false);
                    LogExpired(logger, request.RequestId, triage.Late.TotalSeconds);
                    await NotifyDecodeAsync(request, reason, StatusCode.DeadlineExceeded).ConfigureAwait(false);
                    return;
                default:
                    await PrefillOnceAsync(consumer, delivery, request.Deadline?.ToDateTimeOffset(), stoppingToken).ConfigureAwait(false);
                    return;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The bus itself failed (acking, requeueing): the request stays held and is redelivered.
            LogSettleFailed(logger, e, request.RequestId);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down mid-request: not acknowledged, so it is delivered again.
        }
    }

    /// <summary>
    /// A redelivery (a rebalance, a claimed entry) can reach this worker while it still prefills the first
    /// delivery: it waits for that one, and then finds the KV committed on the decode side (a duplicate ack)
    /// instead of failing on the engine's duplicate request id and counting towards the dead-letter topic.
    /// </summary>
    private async Task PrefillOnceAsync(IBusConsumer consumer, BusDelivery delivery, DateTimeOffset? deadline, CancellationToken stoppingToken)
    {
        string id = delivery.Request.RequestId;
        while (true)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_inFlight.TryAdd(id, done.Task))
            {
                try
                {
                    await PrefillAsync(consumer, delivery, deadline, stoppingToken).ConfigureAwait(false);
                }
                finally
                {
                    _inFlight.TryRemove(id, out _);
                    done.SetResult();
                }
                return;
            }
            if (_inFlight.TryGetValue(id, out var other))
            {
                await other.WaitAsync(stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task PrefillAsync(IBusConsumer consumer, BusDelivery delivery, DateTimeOffset? deadline, CancellationToken stoppingToken)
    {
        var request = delivery.Request;
        var own = time.GetUtcNow() + prefillOptions.Value.KvTransferTimeout;
        var callDeadline = (deadline is { } d && d < own ? d : own).UtcDateTime;
        try
        {
            PrefillReply reply;
            while (true)
            {
                try
                {
                    var waited = request.PublishedAt is { } published ? time.GetUtcNow() - published.ToDateTimeOffset() : TimeSpan.Zero;
                    reply = await sender.PrefillAsync(
                        new PrefillRequest { SchemaVersion = request.Spec.SchemaVersion, Spec = request.Spec, Decode = request.Decode },
                        new BusCallContext(request.RequestId, callDeadline, stoppingToken), waited).ConfigureAwait(false);
                    break;
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Aborted && e.Status.Detail.Contains(DecodeBusyDetail, StringComparison.Ordinal)
                    && time.GetUtcNow().UtcDateTime + BusyRetryDelay < callDeadline
                    && !stoppingToken.IsCancellationRequested)
                {
                    // The decode side is receiving this request's KV from another worker (another delivery of it):
                    // once that commits, this one is acknowledged as a duplicate. Not a failure of this request.
                    LogDecodeBusy(logger, request.RequestId);
                    await Task.Delay(BusyRetryDelay, time, stoppingToken).ConfigureAwait(false);
                }
            }
            await consumer.AckAsync(delivery).ConfigureAwait(false);
            metrics.Record(bus.Kind, reply.Ack?.Duplicate == true ? "duplicate" : "acked");
        }
        catch (RpcException) when (stoppingToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(stoppingToken);
        }
        catch (RpcException e) when (e.StatusCode != StatusCode.Aborted && e.Status.Detail.StartsWith("decode:", StringComparison.Ordinal))
        {
            // The decode side refused or failed the KV and told the Gateway's subscription so; the Gateway decides
            // what next (another decode instance under a new request id). Nothing for the bus to retry.
            await consumer.AckAsync(delivery).ConfigureAwait(false);
            metrics.Record(bus.Kind, "decode_refused");
            LogDecodeRefused(logger, request.RequestId, e.StatusCode, e.Status.Detail);
        }
        catch (RpcException e)
        {
            // Failed here, or the decode side was busy with another delivery of it (ABORTED): try again later.
            string reason = $"{e.StatusCode}: {e.Status.Detail}";
            if (await consumer.NackAsync(delivery, reason).ConfigureAwait(false))
            {
                metrics.Record(bus.Kind, "dead_lettered");
                LogDeadLettered(logger, request.RequestId, delivery.Deliveries, reason);
                await NotifyDecodeAsync(request, $"request '{request.RequestId}' failed {delivery.Deliveries} times and went to the dead-letter topic; last failure: {reason}", StatusCode.Aborted).ConfigureAwait(false);
            }
            else
            {
                metrics.Record(bus.Kind, "requeued");
                LogRequeued(logger, request.RequestId, delivery.Deliveries, reason);
            }
        }
    }

    private async Task DeadLetterAsync(IBusConsumer consumer, BusDelivery delivery, string reason)
    {
        await consumer.DeadLetterAsync(delivery, reason).ConfigureAwait(false);
        metrics.Record(bus.Kind, "dead_lettered");
        LogDeadLettered(logger, delivery.Request.RequestId, delivery.Deliveries, reason);
        await NotifyDecodeAsync(delivery.Request, $"request '{delivery.Request.RequestId}' went to the dead-letter topic: {reason}", StatusCode.Aborted).ConfigureAwait(false);
    }

    /// <summary>The Gateway waits on the decode instance for this request's tokens: tell it there why none will come.</summary>
    private async Task NotifyDecodeAsync(BusRequest request, string reason, StatusCode status)
    {
        if (request.Decode is not { } target || (target.AppId.Length == 0 && target.Address.Length == 0))
        {
            return;
        }
        try
        {
            var client = new DecodeService.DecodeServiceClient(channels.CreateInvoker(new ServiceTarget(target.AppId, target.Address)));
            await client.CancelAsync(new CancelRequest { RequestId = request.RequestId, Reason = reason, Status = (int)status },
                deadline: time.GetUtcNow().UtcDateTime + NotifyTimeout).ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            LogNotifyFailed(logger, request.RequestId, e.StatusCode, e.Status.Detail);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Request {RequestId}: the decode side is receiving its KV from another delivery; retrying shortly")]
    private static partial void LogDecodeBusy(ILogger logger, string requestId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Consuming the {Kind} request bus as {Consumer}, {MaxConcurrent} requests at a time")]
    private static partial void LogConsuming(ILogger logger, BusKind kind, string consumer, int maxConcurrent);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Receiving from the request bus failed; retrying in 1 s")]
    private static partial void LogReceiveFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId} expired {Seconds:F3} s before a worker took it; not computed")]
    private static partial void LogExpired(ILogger logger, string requestId, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Request {RequestId}: the decode side refused its KV ({Status}): {Reason}")]
    private static partial void LogDecodeRefused(ILogger logger, string requestId, StatusCode status, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId} failed delivery {Deliveries} and goes back on the bus: {Reason}")]
    private static partial void LogRequeued(ILogger logger, string requestId, int deliveries, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Request {RequestId} dead-lettered after {Deliveries} deliveries: {Reason}")]
    private static partial void LogDeadLettered(ILogger logger, string requestId, int deliveries, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Settling request {RequestId} on the bus failed; it will be delivered again")]
    private static partial void LogSettleFailed(ILogger logger, Exception exception, string requestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telling the decode side that request {RequestId} will not come failed ({Status}): {Reason}")]
    private static partial void LogNotifyFailed(ILogger logger, string requestId, StatusCode status, string reason);
}
