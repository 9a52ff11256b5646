using Microsoft.Extensions.Options;
using Platform.Engine.Configuration;
using Platform.Gateway.Backend;
using Platform.RequestBus;

namespace Platform.Gateway.Bus.Local;

/// <summary>
/// The all-in-one process's consumer of its own in-process bus: takes requests as the engine has room
/// (<see cref="EngineOptions.MaxRunningSequences"/> at a time; the rest wait on the bus and count as lag), and
/// hands each to the engine. A request is acknowledged when it ends, so a redelivery never starts it twice; one
/// past its deadline is acknowledged without being computed and its client gets 504; one delivered more than
/// <c>Bus:MaxDeliveries</c> times is dead-lettered and its client gets 500.
/// </summary>
public sealed partial class LocalBusWorker(
    IRequestBus bus,
    LocalHandoff handoff,
    LocalEngineBackend engine,
    BusDispatcher dispatcher,
    BusMetrics metrics,
    IOptions<BusOptions> busOptions,
    IOptions<EngineOptions> engineOptions,
    TimeProvider time,
    ILogger<LocalBusWorker> logger) : BackgroundService
{
    // Not disposed: requests still running at shutdown release their slots after the loop ends.
    private readonly SemaphoreSlim _slots = new(engineOptions.Value.MaxRunningSequences);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var slots = _slots;
        await using var consumer = bus.CreateConsumer($"all-in-one-{Environment.MachineName}-{Environment.ProcessId}");
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var delivery = await consumer.ReceiveInSlotAsync(slots, e => LogReceiveFailed(logger, e), time, stoppingToken).ConfigureAwait(false);
                if (!await StartAsync(consumer, delivery, slots).ConfigureAwait(false))
                {
                    slots.Release();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the HTTP server has drained; what is left on the bus has no client.
        }
    }

    /// <summary>Settles one delivery; true when its request now runs on the engine and holds a slot until it ends.</summary>
    private async Task<bool> StartAsync(IBusConsumer consumer, BusDelivery delivery, SemaphoreSlim slots)
    {
        var message = delivery.Request;
        var triage = BusTriage.Of(delivery, bus.Kind, metrics, busOptions.Value.MaxDeliveries, time.GetUtcNow());
        var pending = handoff.Take(message.RequestId);
        try
        {
            if (pending is null)
            {
                // Its client left before this, or a redelivery of a request that already ran: nothing to answer.
                await consumer.AckAsync(delivery).ConfigureAwait(false);
                return false;
            }
            if (triage.Verdict == BusVerdict.DeadLetter)
            {
                metrics.Record(bus.Kind, "dead_lettered");
                await consumer.DeadLetterAsync(delivery, triage.DeadLetterReason!).ConfigureAwait(false);
                pending.Started.TrySetException(BusDispatcher.DeadLettered(triage.DeadLetterReason!));
                return false;
            }
            if (triage.Verdict == BusVerdict.Expired)
            {
                // Counted before the ack, so whoever sees the lag drop also sees the count.
                metrics.Record(bus.Kind, "expired");
                await consumer.AckAsync(delivery).ConfigureAwait(false);
                LogExpired(logger, message.RequestId, triage.Late.TotalSeconds);
                pending.Started.TrySetException(dispatcher.DeadlineExceeded(
                    $"request '{message.RequestId}' passed its deadline ({triage.Deadline:O}) before the engine took it; it was not computed"));
                return false;
            }
            IGenerationStream stream;
            try
            {
                stream = await engine.StartAsync(pending.Request, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ArgumentException or BackendUnavailableException)
            {
                // Input the engine refuses (400) or an engine that is gone (503): the client's answer, not a bus failure.
                await consumer.AckAsync(delivery).ConfigureAwait(false);
                pending.Started.TrySetException(e);
                return false;
            }
            var acknowledging = new AcknowledgingStream(stream, () => AcknowledgeAsync(consumer, delivery, slots));
            if (!pending.Started.TrySetResult(acknowledging))
            {
                await acknowledging.DisposeAsync().ConfigureAwait(false);
            }
            return true;
        }
        catch (Exception e)
        {
            // The bus itself failed (ack, dead letter): the client is told rather than left waiting.
            LogSettleFailed(logger, e, message.RequestId);
            pending?.Started.TrySetException(new BackendUnavailableException($"the request bus failed: {e.Message}", e));
            return false;
        }
    }

    private async Task AcknowledgeAsync(IBusConsumer consumer, BusDelivery delivery, SemaphoreSlim slots)
    {
        try
        {
            await consumer.AckAsync(delivery).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogSettleFailed(logger, e, delivery.Request.RequestId);
        }
        finally
        {
            slots.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Receiving from the request bus failed")]
    private static partial void LogReceiveFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bus request {RequestId} expired {LateSeconds:F3} s before the engine took it; not computed")]
    private static partial void LogExpired(ILogger logger, string requestId, double lateSeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Settling bus request {RequestId} failed")]
    private static partial void LogSettleFailed(ILogger logger, Exception exception, string requestId);
}
