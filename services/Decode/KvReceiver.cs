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
    KvTransferLedger ledger,
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
        if (ledger.IsCommitted(requestId))
        {
            return await IgnoreDuplicateAsync(messages, context, requestId, started).ConfigureAwait(false);
        }
        if (pending.IsAbandoned(requestId))
        {
            throw Faults.Of(StatusCode.Cancelled, $"request '{requestId}' was cancelled or its subscriber gave up");
        }
        if (!ledger.TryBegin(requestId))
        {
            throw Faults.Of(StatusCode.Aborted, $"the KV of request '{requestId}' is already being received from another sender");
        }
        KvImport import;
        try
        {
            import = BeginImport(engine, header);
        }
        catch
        {
            ledger.End(requestId, committed: false);
            throw;
        }
        bool committed = false;
        var assembler = new KvLayerAssembler(geometry, header.NumTokens);
        Interlocked.Increment(ref _inFlight);
        Interlocked.Add(ref _inFlightTokens, header.NumTokens);
        try
        {
            var stream = await ReceiveLayersAsync(messages, context, import, assembler, engine.Model.Config.VocabSize).ConfigureAwait(false);
            committed = true;
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
            // A sender that went away (a prefill worker died) may be replaced by a redelivery of the request:
            // its subscriber keeps waiting, bounded by Decode:KvArrivalTimeout and the request's deadline.
            if (fault.StatusCode is not (StatusCode.Cancelled or StatusCode.Unavailable))
            {
                pending.Fail(requestId, fault);
            }
            metrics.Record("receive", fault.StatusCode.ToString(), time.GetElapsedTime(started).TotalSeconds, assembler.BytesReceived);
            LogAborted(logger, requestId, fault.StatusCode, fault.Status.Detail);
            throw fault;
        }
        finally
        {
            ledger.End(requestId, committed);
            Interlocked.Decrement(ref _inFlight);
            Interlocked.Add(ref _inFlightTokens, -header.NumTokens);
        }
    }

    /// <summary>A second transfer of a committed request (a redelivery): read to its end, acknowledged, ignored.</summary>
    private async Task<KvTransferAck> IgnoreDuplicateAsync(IAsyncStreamReader<KvTransferMessage> messages, ServerCallContext context, string requestId, long started)
    {
        long bytes = 0;
        int chunks = 0;
        while (await NextAsync(messages, context).ConfigureAwait(false) is { } message && message.BodyCase != KvTransferMessage.BodyOneofCase.Commit)
        {
            if (message.Chunk is { } chunk)
            {
                bytes += chunk.Keys.Length + chunk.Values.Length;
                chunks++;
            }
        }
        metrics.Record("receive", "duplicate", time.GetElapsedTime(started).TotalSeconds, bytes);
        LogDuplicate(logger, requestId);
        return new KvTransferAck { RequestId = requestId, BytesReceived = bytes, ChunksReceived = chunks, Duplicate = true };
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

    /// <summary>Writes the layers as they come; at the commit, the decoding request and the sender's report.</summary>
    private async Task<CommittedKv> ReceiveLayersAsync(
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
                    return new CommittedKv(import.Commit(token.ToEngine()), message.Commit.Report);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "KV of request {RequestId} arrived again after it committed (a redelivery): acknowledged and ignored")]
    private static partial void LogDuplicate(ILogger logger, string requestId);

    [LoggerMessage(Level = LogLevel.Information, Message = "KV of request {RequestId} refused: {Tokens} tokens, {FreeBlocks} blocks free")]
    private static partial void LogRefused(ILogger logger, string requestId, int tokens, int freeBlocks);
}
