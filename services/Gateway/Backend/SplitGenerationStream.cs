using System.Runtime.CompilerServices;
using Grpc.Core;
using Platform.Contracts.Inference.V1;
using Platform.Gateway.Metrics;
using GenerationEvent = Platform.Engine.Serving.GenerationEvent;

namespace Platform.Gateway.Backend;

/// <summary>
/// A request whose KV is on a decode instance (or a colocated request, with no decode client or prefill reply:
/// cancelling its call alone cancels it): its token stream as engine events. Cancelling the read's
/// token, or disposing before the final event, calls Decode.Cancel and cancels the call (either frees the
/// request's KV there). A stream that breaks (the decode process died, the connection dropped) ends with an
/// error event, never a hang: keep-alive pings fail a silent peer within seconds.
/// </summary>
internal sealed partial class SplitGenerationStream(
    string requestId,
    string wireRequestId,
    AsyncServerStreamingCall<TokenEvent> call,
    CancellationTokenSource callCancellation,
    DecodeService.DecodeServiceClient? decode,
    PrefillReply? prefill,
    long started,
    SplitMetrics metrics,
    TimeProvider time,
    ILogger logger) : IGenerationStream
{
    private static readonly TimeSpan CancelTimeout = TimeSpan.FromSeconds(5);
    private int _ended;
    private bool _sawToken;
    /// <summary>Reused prompt tokens the prefill side reported with the KV (through the request bus; direct dispatch has the reply).</summary>
    private int _cachedPromptTokens;

    public string RequestId => requestId;

    public async IAsyncEnumerable<GenerationEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var registration = cancellationToken.Register(() => _ = CancelAsync());
        while (true)
        {
            var e = await NextAsync().ConfigureAwait(false);
            if (e.IsFinal)
            {
                Volatile.Write(ref _ended, 1);
            }
            yield return e;
            if (e.IsFinal)
            {
                yield break;
            }
        }
    }

    private async Task<GenerationEvent> NextAsync()
    {
        try
        {
            if (!await call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
            {
                return TokenEvents.Failed(requestId, "the decode instance ended the token stream without a final event");
            }
        }
        catch (RpcException) when (callCancellation.IsCancellationRequested)
        {
            return TokenEvents.Cancelled(requestId);
        }
        catch (RpcException e)
        {
            LogStreamBroke(logger, requestId, e.StatusCode, e.Status.Detail);
            return TokenEvents.Failed(requestId, $"the decode instance failed mid-stream ({e.StatusCode}): {e.Status.Detail}");
        }
        var wire = call.ResponseStream.Current;
        if (!_sawToken && wire.Token is not null)
        {
            _sawToken = true;
            // Direct dispatch has the prefill reply; through the request bus the decode side hands on the sender's timing.
            if (prefill is not null)
            {
                RecordTimeToFirstTokenParts(prefill.QueueSeconds, prefill.PrefillSeconds, prefill.TransferTailSeconds);
            }
            else if (wire.PrefillReport is { } report)
            {
                RecordTimeToFirstTokenParts(report.QueueSeconds, report.PrefillSeconds, report.TransferTailSeconds);
                _cachedPromptTokens = report.CachedPromptTokens;
            }
        }
        return TokenEvents.ToEngine(wire, requestId, prefill?.CachedPromptTokens ?? _cachedPromptTokens);
    }

    private void RecordTimeToFirstTokenParts(double queue, double prefillSeconds, double transferTail)
    {
        double ttft = time.GetElapsedTime(started).TotalSeconds;
        double rest = Math.Max(0, ttft - queue - prefillSeconds - transferTail);
        metrics.RecordTimeToFirstTokenParts(queue, prefillSeconds, transferTail, rest);
    }

    /// <summary>Tells the decode instance to drop the request, then cancels the call (which alone would also free it there).</summary>
    private async Task CancelAsync()
    {
        if (Interlocked.Exchange(ref _ended, 1) == 1)
        {
            return;
        }
        if (decode is null)
        {
            TryCancelCall();
            return;
        }
        try
        {
            await decode.CancelAsync(new CancelRequest { RequestId = wireRequestId }, deadline: time.GetUtcNow().UtcDateTime + CancelTimeout).ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            LogCancelFailed(logger, requestId, e.StatusCode);
        }
        finally
        {
            TryCancelCall();
        }
    }

    private void TryCancelCall()
    {
        try
        {
            callCancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already disposed: the call is over.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CancelAsync().ConfigureAwait(false);
        call.Dispose();
        callCancellation.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Token stream of request {RequestId} broke ({Status}): {Reason}")]
    private static partial void LogStreamBroke(ILogger logger, string requestId, StatusCode status, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Decode.Cancel for request {RequestId} failed ({Status}); the call's cancellation frees it")]
    private static partial void LogCancelFailed(ILogger logger, string requestId, StatusCode status);
}
