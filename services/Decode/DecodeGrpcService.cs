using Grpc.Core;
using Microsoft.Extensions.Options;
using Platform.Contracts.Inference.V1;
using Platform.PhaseSplit;
using Platform.PhaseSplit.Hosting;
using Platform.PhaseSplit.Mapping;

namespace Platform.Decode;

/// <summary>The token phase over gRPC: KV in, tokens out, cancellation and load reports.</summary>
public sealed partial class DecodeGrpcService(
    EngineHost host,
    KvReceiver receiver,
    PendingGenerations pending,
    FineTuning.FineTuningJobs fineTuning,
    IOptions<DecodeOptions> options,
    TimeProvider time,
    ILogger<DecodeGrpcService> logger) : DecodeService.DecodeServiceBase
{
    public override Task<KvTransferAck> TransferKv(IAsyncStreamReader<KvTransferMessage> requestStream, ServerCallContext context) =>
        receiver.ReceiveAsync(requestStream, context);

    public override async Task Generate(GenerationSpec request, IServerStreamWriter<TokenEvent> responseStream, ServerCallContext context)
    {
        string id = request.RequestId;
        if (string.IsNullOrEmpty(id))
        {
            throw Faults.Invalid("the generation spec has no request_id");
        }
        var wait = options.Value.KvArrivalTimeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        if (request.Deadline is { } until)
        {
            var left = until.ToDateTimeOffset() - time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                throw Faults.Of(StatusCode.DeadlineExceeded, $"request '{id}' is past its deadline");
            }
            deadline.CancelAfter(left);
            wait = left < wait ? left : wait;
        }
        CommittedKv committed;
        try
        {
            committed = await pending.SubscribeAsync(id, wait, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            // The request's deadline fired before the arrival timeout (both are the deadline when it is the
            // nearer one): the same answer, not an unhandled cancellation.
            throw Faults.Of(StatusCode.DeadlineExceeded, $"request '{id}' passed its deadline before its KV arrived");
        }
        bool finished = false;
        try
        {
            finished = await TokenStreaming.WriteAllAsync(committed.Stream, responseStream, deadline.Token, committed.Report).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            throw Faults.Of(StatusCode.DeadlineExceeded, $"request '{id}' passed its deadline");
        }
        finally
        {
            if (!finished && host.Engine.Cancel(id))
            {
                LogCancelled(logger, id);
            }
        }
    }

    public override Task GenerateColocated(GenerationSpec request, IServerStreamWriter<TokenEvent> responseStream, ServerCallContext context) =>
        TokenStreaming.GenerateColocatedAsync(host.Engine, request, responseStream, context, time);

    public override Task<CancelReply> Cancel(CancelRequest request, ServerCallContext context)
    {
        if (request.Reason.Length > 0)
        {
            // A bus worker gave up on the request: its subscriber (now or later) fails with the reason; KV already
            // committed is left alone, so a request answered by another delivery is not cut off.
            return Task.FromResult(new CancelReply { Cancelled = pending.GiveUp(request.RequestId,
                Faults.Of(request.Status == 0 ? StatusCode.Aborted : (StatusCode)request.Status, request.Reason)) });
        }
        bool cancelled = host.Engine.Cancel(request.RequestId) | pending.Cancel(request.RequestId);
        return Task.FromResult(new CancelReply { Cancelled = cancelled });
    }

    public override Task<LoadReport> GetLoad(GetLoadRequest request, ServerCallContext context)
    {
        var engine = host.Engine;
        var report = LoadReports.Create("decode", engine.Stats(), engine.Options.BlockSize, receiver.InFlightTokens, receiver.InFlight, time);
        report.FineTuningJobs = fineTuning.Running;
        return Task.FromResult(report);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Request {RequestId} cancelled: its subscriber left or its deadline passed")]
    private static partial void LogCancelled(ILogger logger, string requestId);
}
