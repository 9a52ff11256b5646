using Grpc.Core;
using Microsoft.Extensions.Options;
using Platform.Contracts.Inference.V1;
using Platform.Engine.Serving;
using FinishReason = Platform.Engine.Serving.FinishReason;
using SampledToken = Platform.Contracts.Inference.V1.SampledToken;
using Platform.PhaseSplit;
using Platform.PhaseSplit.Hosting;
using Platform.PhaseSplit.Invocation;
using Platform.PhaseSplit.Kv;
using Platform.PhaseSplit.Mapping;
using Platform.PhaseSplit.Metrics;

namespace Platform.Prefill;

/// <summary>
/// One prefill: the prompt runs with max_tokens 1 and a layer sink while a TransferKv call to the decode
/// instance is already open (its header reserves the blocks there, so a full decode says RESOURCE_EXHAUSTED
/// before any compute is wasted); each layer is cut into chunks and written as soon as it exists; the
/// commit carries the first token. Any failure cancels the call (the decode side frees its blocks) and the
/// engine request (this side frees its own).
/// </summary>
public sealed partial class KvSender(
    EngineHost host,
    IGrpcChannelFactory channels,
    ChunkBlendResolver blends,
    KvTransferMetrics metrics,
    IOptions<PrefillOptions> options,
    TimeProvider time,
    ILogger<KvSender> logger)
{
    /// <summary>How long a failed transfer waits for the decode side's status before explaining the failure without it.</summary>
    private static readonly TimeSpan StatusGrace = TimeSpan.FromMilliseconds(250);

    private int _inFlight;

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <param name="waitedBefore">How long the request waited before it reached this sender (on the request bus); part of its queue time.</param>
    public async Task<PrefillReply> PrefillAsync(PrefillRequest request, ServerCallContext context, TimeSpan waitedBefore = default)
    {
        var spec = request.Spec ?? throw Faults.Invalid("the prefill request has no generation spec");
        if (request.Decode is not { } target || (target.AppId.Length == 0 && target.Address.Length == 0))
        {
            throw Faults.Invalid("the prefill request names no decode target (app_id or address)");
        }
        var engine = host.Engine;
        var geometry = KvGeometry.Of(engine.Cache);
        var sink = new LayerChannelSink(time);
        var engineRequest = spec.ToEngineRequest();
        engineRequest = engineRequest with
        {
            Sampling = engineRequest.Sampling with { MaxTokens = 1 },
            KvLayerSink = sink,
            Blend = await blends.ResolveAsync(spec, context.CancellationToken).ConfigureAwait(false),
        };
        long received = time.GetTimestamp();
        RequestStream engineStream;
        try
        {
            engineStream = engine.AddRequest(engineRequest);
        }
        catch (ArgumentException e)
        {
            throw Faults.Invalid(e.Message);
        }
        Interlocked.Increment(ref _inFlight);
        var final = FinalEventAsync(engineStream);
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        using var call = new DecodeService.DecodeServiceClient(channels.CreateInvoker(new ServiceTarget(target.AppId, target.Address)))
            .TransferKv(deadline: Deadline(context), cancellationToken: abort.Token);
        // The decode side refusing or failing, or the prompt failing here, stops everything at once.
        _ = call.ResponseAsync.ContinueWith(_ => TryCancel(abort), CancellationToken.None, TaskContinuationOptions.NotOnRanToCompletion, TaskScheduler.Default);
        _ = final.ContinueWith(t => { if (t.Result.Finish is FinishReason.Error or FinishReason.Cancelled) { TryCancel(abort); } },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        try
        {
            await call.RequestStream.WriteAsync(new KvTransferMessage { Header = geometry.Header(spec) }, abort.Token).ConfigureAwait(false);
            var sent = await PumpAsync(sink, call.RequestStream, geometry.NumLayers, abort.Token).ConfigureAwait(false);
            var last = await final.WaitAsync(abort.Token).ConfigureAwait(false);
            var first = last.Token ?? throw Faults.Of(StatusCode.Internal, $"the prompt of '{spec.RequestId}' ended without a token: {last.Error}");
            var (queue, prefill) = PromptStep(sent, received);
            var report = new PrefillReport
            {
                QueueSeconds = Math.Max(0, waitedBefore.TotalSeconds) + queue,
                PrefillSeconds = prefill,
                TransferTailSeconds = time.GetElapsedTime(sent.LastLayerAt).TotalSeconds,
                CachedPromptTokens = last.Usage?.CachedPromptTokens ?? 0,
            };
            await call.RequestStream.WriteAsync(new KvTransferMessage { Commit = new KvCommit { FirstToken = first.ToWire(), Report = report } }, abort.Token).ConfigureAwait(false);
            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            var ack = await call.ResponseAsync.ConfigureAwait(false);
            long acked = time.GetTimestamp();
            var reply = Reply(ack, first.ToWire(), sent, (queue, prefill), acked, last.Usage);
            metrics.Record("send", "ok", reply.TransferSeconds, sent.Bytes);
            LogSent(logger, spec.RequestId, target.AppId.Length > 0 ? target.AppId : target.Address, sent.Bytes, reply.PrefillSeconds, reply.TransferTailSeconds);
            return reply;
        }
        catch (Exception e)
        {
            if (!context.CancellationToken.IsCancellationRequested && !(final.IsCompletedSuccessfully && final.Result.Finish == FinishReason.Error))
            {
                // A write can fail because the decode side ended the call a moment before the call's status (say
                // RESOURCE_EXHAUSTED) is read; cancelling now (the call, or the engine request, whose end cancels
                // the call) would turn that status into CANCELLED. The decode side's reason is what the caller
                // must hear, so it gets a moment to arrive.
                await Task.WhenAny(call.ResponseAsync, Task.Delay(StatusGrace, time)).ConfigureAwait(false);
            }
            engine.Cancel(spec.RequestId);
            TryCancel(abort);
            var fault = Explain(e, call.ResponseAsync, final, context);
            metrics.Record("send", fault.StatusCode.ToString(), time.GetElapsedTime(received).TotalSeconds, 0);
            LogFailed(logger, spec.RequestId, fault.StatusCode, fault.Status.Detail);
            throw fault;
        }
        finally
        {
            sink.Close();
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private static async Task<GenerationEvent> FinalEventAsync(RequestStream stream)
    {
        await foreach (var e in stream.ReadAllAsync().ConfigureAwait(false))
        {
            if (e.IsFinal)
            {
                return e;
            }
        }
        return new GenerationEvent(stream.RequestId, null, "") { Finish = FinishReason.Error, Error = "the engine stream ended without a final event" };
    }

    private async Task<SentLayers> PumpAsync(LayerChannelSink sink, IClientStreamWriter<KvTransferMessage> writer, int numLayers, CancellationToken cancellationToken)
    {
        var sent = new SentLayers();
        for (int i = 0; i < numLayers; i++)
        {
            using var layer = await sink.Layers.ReadAsync(cancellationToken).ConfigureAwait(false);
            sent.FirstLayerAt ??= layer.ComputedAt;
            sent.LastLayerAt = layer.ComputedAt;
            foreach (var chunk in KvLayerChunker.Split(layer.Layer, layer.Keys, layer.Values, options.Value.MaxKvMessageBytes))
            {
                await writer.WriteAsync(new KvTransferMessage { Chunk = chunk }, cancellationToken).ConfigureAwait(false);
                sent.Bytes += chunk.Keys.Length + chunk.Values.Length;
                sent.Chunks++;
            }
        }
        return sent;
    }

    /// <summary>
    /// The step that completed the prompt and the wait before it, from the layer timestamps that bracket it (its
    /// compute time), and the time since the request reached this sender.
    /// </summary>
    private (double Queue, double Prefill) PromptStep(SentLayers sent, long received)
    {
        int layers = host.Engine.Cache.NumLayers;
        double spread = time.GetElapsedTime(sent.FirstLayerAt!.Value, sent.LastLayerAt).TotalSeconds;
        double untilLast = time.GetElapsedTime(received, sent.LastLayerAt).TotalSeconds;
        double prefill = layers > 1 ? spread * layers / (layers - 1) : untilLast;
        return (Math.Max(0, untilLast - prefill), Math.Min(prefill, untilLast));
    }

    private PrefillReply Reply(
        KvTransferAck ack, SampledToken first, SentLayers sent, (double Queue, double Prefill) step, long acked, Platform.Engine.Serving.Usage? usage)
    {
        return new PrefillReply
        {
            Ack = ack,
            FirstToken = first,
            QueueSeconds = step.Queue,
            PrefillSeconds = step.Prefill,
            TransferSeconds = time.GetElapsedTime(sent.FirstLayerAt!.Value, acked).TotalSeconds,
            TransferTailSeconds = time.GetElapsedTime(sent.LastLayerAt, acked).TotalSeconds,
            TransferBytes = sent.Bytes,
            PromptTokens = usage?.PromptTokens ?? 0,
            CachedPromptTokens = usage?.CachedPromptTokens ?? 0,
        };
    }

    private DateTime Deadline(ServerCallContext context)
    {
        var own = time.GetUtcNow().UtcDateTime + options.Value.KvTransferTimeout;
        return context.Deadline < own ? context.Deadline : own;
    }

    /// <summary>The root cause, in the order that explains most: the prompt failed, the decode side refused, the call broke.</summary>
    private static RpcException Explain(Exception e, Task<KvTransferAck> response, Task<GenerationEvent> final, ServerCallContext context)
    {
        if (final.IsCompletedSuccessfully && final.Result.Finish == FinishReason.Error)
        {
            return Faults.Of(StatusCode.Internal, $"prefill failed: {final.Result.Error}");
        }
        if (response.IsFaulted && response.Exception?.InnerException is RpcException decode && decode.StatusCode != StatusCode.Cancelled)
        {
            return new RpcException(new Status(decode.StatusCode, $"decode: {decode.Status.Detail}"));
        }
        if (context.CancellationToken.IsCancellationRequested)
        {
            return Faults.Of(StatusCode.Cancelled, "the prefill call was cancelled");
        }
        return e is RpcException rpc ? new RpcException(rpc.Status) : Faults.Of(StatusCode.Unavailable, $"the KV transfer failed: {e.Message}");
    }

    private static void TryCancel(CancellationTokenSource cts)
    {
        try
        {
            cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The prefill already finished.
        }
    }

    private sealed class SentLayers
    {
        public long Bytes { get; set; }
        public int Chunks { get; set; }
        public long? FirstLayerAt { get; set; }
        public long LastLayerAt { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "KV of request {RequestId} sent to {Target}: {Bytes} bytes, prefill {PrefillSeconds:F3} s, transfer tail {TailSeconds:F3} s")]
    private static partial void LogSent(ILogger logger, string requestId, string target, long bytes, double prefillSeconds, double tailSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Prefill of request {RequestId} failed ({Status}): {Reason}")]
    private static partial void LogFailed(ILogger logger, string requestId, StatusCode status, string reason);
}
