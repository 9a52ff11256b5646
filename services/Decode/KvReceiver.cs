using Grpc.Core;
using Microsoft.Extensions.Options;
using Platform.Contracts.Inference.V1;
using Platform.Engine.Serving;
using Platform.PhaseSplit;
using Platform.PhaseSplit.Hosting;
using Platform.PhaseSplit.Kv;
using Platform.PhaseSplit.Mapping;
using Platform.PhaseSplit.Metrics;

namespace Platform.Decode;

/// <summary>
/// The decode side of one KV transfer: reserve blocks on the header (RESOURCE_EXHAUSTED at once when there
/// are none), check and write each layer as soon as all its chunks are in, commit with the first token.
/// Any failure before the commit (bad checksum or shape, a stall past <see cref="DecodeOptions.KvTransferTimeout"/>,
/// the call's deadline, the sender gone) aborts the import, which frees the blocks.
/// </summary>
public sealed partial class KvReceiver(
    EngineHost host,
    PendingGenerations pending,
    KvTransferMetrics metrics,
    IOptions<DecodeOptions> options,
    TimeProvider time,
    ILogger<KvReceiver> logger)
{
    private int _inFlight;
    private long _inFlightTokens;

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Prompt tokens whose KV is on its way in.</summary>
    public long InFlightTokens => Interlocked.Read(ref _inFlightTokens);

    public async Task<KvTransferAck> ReceiveAsync(IAsyncStreamReader<KvTransferMessage> messages, ServerCallContext context)
    {
        var engine = host.Engine;
        var geometry = KvGeometry.Of(engine.Cache);
        long started = time.GetTimestamp();
        var first = await NextAsync(messages, context).ConfigureAwait(false)
            ?? throw Faults.Invalid("the KV transfer ended before its header");
        if (first.BodyCase != KvTransferMessage.BodyOneofCase.Header)
        {
            throw Faults.Invalid("the first message of a KV transfer must be its header");
        }
        var header = first.Header;
        geometry.Check(header);
        string requestId = header.Spec.RequestId;
        if (pending.IsAbandoned(requestId))
        {
            throw Faults.Of(StatusCode.Cancelled, $"request '{requestId}' was cancelled or its subscriber gave up");
        }
        var import = BeginImport(engine, header);
        var assembler = new KvLayerAssembler(geometry, header.NumTokens);
        Interlocked.Increment(ref _inFlight);
        Interlocked.Add(ref _inFlightTokens, header.NumTokens);
        try
        {
            var stream = await ReceiveLayersAsync(messages, context, import, assembler, engine.Model.Config.VocabSize).ConfigureAwait(false);
            if (!pending.Publish(requestId, stream))
            {
                engine.Cancel(requestId);
            }
            double seconds = time.GetElapsedTime(started).TotalSeconds;
            metrics.Record("receive", "ok", seconds, assembler.BytesReceived);
            LogReceived(logger, requestId, header.NumTokens, assembler.BytesReceived, assembler.ChunksReceived, seconds);
            return new KvTransferAck
            {
                RequestId = requestId,
                BytesReceived = assembler.BytesReceived,
                ChunksReceived = assembler.ChunksReceived,
                ReceiveSeconds = seconds,
            };
        }
        catch (Exception e)
        {
            var fault = ToFault(e, context);
            import.Abort(fault.Status.Detail);
            pending.Fail(requestId, fault);
            metrics.Record("receive", fault.StatusCode.ToString(), time.GetElapsedTime(started).TotalSeconds, assembler.BytesReceived);
            LogAborted(logger, requestId, fault.StatusCode, fault.Status.Detail);
            throw fault;
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            Interlocked.Add(ref _inFlightTokens, -header.NumTokens);
        }
    }

    private KvImport BeginImport(LlmEngine engine, KvTransferHeader header)
    {
        KvImport? import;
        try
        {
            import = engine.TryBeginImport(header.Spec.ToEngineRequest());
        }
        catch (ArgumentException e)
        {
            throw Faults.Invalid(e.Message);
        }
        if (import is null)
        {
            var stats = engine.Stats();
            var fault = Faults.Of(StatusCode.ResourceExhausted,
                $"no room for the KV of {header.NumTokens} tokens: {stats.NumFreeBlocks} of {stats.NumTotalBlocks} blocks free, {stats.NumRequestsRunning} sequences running");
            pending.Fail(header.Spec.RequestId, fault);
            LogRefused(logger, header.Spec.RequestId, header.NumTokens, stats.NumFreeBlocks);
            throw fault;
        }
        return import;
    }

    private async Task<RequestStream> ReceiveLayersAsync(
        IAsyncStreamReader<KvTransferMessage> messages, ServerCallContext context, KvImport import, KvLayerAssembler assembler, int vocabSize)
    {
        while (true)
        {
            var message = await NextAsync(messages, context).ConfigureAwait(false)
                ?? throw Faults.Of(StatusCode.DataLoss, $"the KV transfer ended without its commit ({assembler.LayersCompleted} layers complete)");
            switch (message.BodyCase)
            {
                case KvTransferMessage.BodyOneofCase.Chunk:
                    if (assembler.Add(message.Chunk) is { } layer)
                    {
                        using (layer.Keys)
                        using (layer.Values)
                        {
                            import.WriteLayer(message.Chunk.Layer, layer.Keys, layer.Values);
                        }
                    }
                    break;
                case KvTransferMessage.BodyOneofCase.Commit:
                    if (!assembler.IsComplete)
                    {
                        throw Faults.Of(StatusCode.DataLoss, $"commit after {assembler.LayersCompleted} complete layers; all are needed");
                    }
                    if (message.Commit.FirstToken is not { } token || (uint)token.TokenId >= (uint)vocabSize)
                    {
                        throw Faults.Invalid($"the commit's first token is missing or outside the vocabulary [0, {vocabSize})");
                    }
                    return import.Commit(token.ToEngine());
                default:
                    throw Faults.Invalid($"unexpected {message.BodyCase} in the middle of a KV transfer");
            }
        }
    }

    /// <summary>The next message, or null at the end; a gap longer than the stall timeout is DEADLINE_EXCEEDED.</summary>
    private async Task<KvTransferMessage?> NextAsync(IAsyncStreamReader<KvTransferMessage> messages, ServerCallContext context)
    {
        var stallAfter = options.Value.KvTransferTimeout;
        using var stall = new CancellationTokenSource(stallAfter, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stall.Token, context.CancellationToken);
        try
        {
            return await messages.MoveNext(linked.Token).ConfigureAwait(false) ? messages.Current : null;
        }
        catch (Exception e) when (e is not RpcException || stall.IsCancellationRequested)
        {
            if (stall.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
            {
                throw Faults.Of(StatusCode.DeadlineExceeded, $"no KV message within {stallAfter} (Decode:KvTransferTimeout)");
            }
            throw ToFault(e, context);
        }
    }

    private RpcException ToFault(Exception e, ServerCallContext context) => e switch
    {
        RpcException rpc => rpc,
        _ when context.Deadline <= time.GetUtcNow().UtcDateTime => Faults.Of(StatusCode.DeadlineExceeded, "the KV transfer passed its deadline"),
        _ when context.CancellationToken.IsCancellationRequested => Faults.Of(StatusCode.Cancelled, "the sender cancelled the KV transfer or went away"),
        ArgumentException => Faults.Invalid(e.Message),
        InvalidOperationException => Faults.Of(StatusCode.Aborted, e.Message),
        IOException => Faults.Of(StatusCode.Unavailable, $"the KV transfer's connection broke: {e.Message}"),
        _ => Faults.Of(StatusCode.Internal, $"the KV transfer failed: {e.Message}"),
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "KV of request {RequestId} received: {Tokens} tokens, {Bytes} bytes in {Chunks} chunks, {Seconds:F3} s")]
    private static partial void LogReceived(ILogger logger, string requestId, int tokens, long bytes, int chunks, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "KV transfer of request {RequestId} aborted ({Status}): {Reason}; its blocks are freed")]
    private static partial void LogAborted(ILogger logger, string requestId, StatusCode status, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "KV of request {RequestId} refused: {Tokens} tokens, {FreeBlocks} blocks free")]
    private static partial void LogRefused(ILogger logger, string requestId, int tokens, int freeBlocks);
}
