using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Platform.Contracts.Bus.V1;
using Platform.Contracts.Inference.V1;
using Platform.Engine.Serving;
using Platform.Gateway.Backend;
using Platform.Gateway.Configuration;
using Platform.Gateway.Errors;
using Platform.PhaseSplit.Invocation;
using Platform.RequestBus;

namespace Platform.Gateway.Bus;

/// <summary>
/// Split mode through the request bus: after the router chose the decode instance and the Gateway subscribed to
/// its token stream, the request goes on the bus with a deadline and that decode target; a prefill worker takes
/// it when it can. The first event of the subscription tells how it went: a token (it is decoding), or the
/// reason none will come (deadline passed: 504; dead-lettered: 500; decode full or down: the backend tries
/// another decode instance). Past <see cref="BusDispatchOptions.MaxLag"/> new requests get 429 at once.
/// </summary>
public sealed partial class BusDispatcher(
    IRequestBus bus,
    BusLagMonitor lag,
    BusMetrics metrics,
    IOptions<BusDispatchOptions> options,
    IOptions<GatewayOptions> gateway,
    IHttpContextAccessor http,
    Rag.TenantResolver tenants,
    TimeProvider time,
    ILogger<BusDispatcher> logger)
{
    /// <summary>429 with Retry-After when the bus is backed up past <see cref="BusDispatchOptions.MaxLag"/>.</summary>
    public void ThrowIfBackedUp()
    {
        long current = lag.Current;
        long max = options.Value.MaxLag;
        if (current > max)
        {
            metrics.Record(bus.Kind, "rejected_lag");
            throw new ApiException(StatusCodes.Status429TooManyRequests,
                $"The request bus is backed up: {current} requests are waiting for a prefill worker (limit {max}, Gateway:Bus:MaxLag). Retry after a moment.",
                ErrorTypes.RateLimit, null, "bus_backed_up");
        }
    }

    /// <summary>Gives the spec its deadline before it is subscribed to, so the decode side stops waiting at the same instant.</summary>
    public void Stamp(GenerationSpec spec) => spec.Deadline = Timestamp.FromDateTimeOffset(time.GetUtcNow() + options.Value.Deadline);

    /// <summary>Publishes the request and waits for its first event; returns the subscription with that event still to read.</summary>
    public async Task<AsyncServerStreamingCall<TokenEvent>> DispatchAsync(
        GenerationSpec spec, ServiceTarget decode, AsyncServerStreamingCall<TokenEvent> subscription, CancellationToken cancellationToken)
    {
        await PublishAsync(Message(spec, new DecodeTarget { AppId = decode.AppId ?? "", Address = decode.Address ?? "" }), cancellationToken).ConfigureAwait(false);
        try
        {
            if (!await subscription.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                throw new BackendUnavailableException("the decode instance ended the token stream before the first token");
            }
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw Translate(spec.RequestId, e);
        }
        return ReplayedTokenStream.Wrap(subscription.ResponseStream.Current, subscription);
    }

    /// <summary>The bus message of <paramref name="spec"/>: its tenant, partition key (the conversation, else the request), deadline and decode target.</summary>
    public BusRequest Message(GenerationSpec spec, DecodeTarget? decode)
    {
        var context = http.HttpContext;
        string? conversation = context?.Request.Headers[options.Value.ConversationHeader].FirstOrDefault();
        return new BusRequest
        {
            SchemaVersion = BusCodec.SchemaVersion,
            RequestId = spec.RequestId,
            Deadline = spec.Deadline,
            Tenant = Tenant(context),
            Key = string.IsNullOrEmpty(conversation) ? spec.RequestId : conversation,
            Spec = spec,
            Decode = decode,
            PublishedAt = Timestamp.FromDateTimeOffset(time.GetUtcNow()),
            Model = gateway.Value.ResolveServedModelName(),
            Adapter = spec.Lora?.Name ?? "",
        };
    }

    /// <summary>Puts the message on the bus; a bus that does not take it makes the request unavailable (503).</summary>
    public async Task PublishAsync(BusRequest message, CancellationToken cancellationToken)
    {
        try
        {
            await bus.PublishAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (BusUnavailableException e)
        {
            throw new BackendUnavailableException($"the request bus did not take the request: {e.Message}", e);
        }
        metrics.Record(bus.Kind, "published");
    }

    /// <summary>The stream, publishing its request's usage event when it ends.</summary>
    public IGenerationStream ReportUsage(IGenerationStream stream, string? adapter, long started) => new UsageReportingStream(stream, bus, new UsageEvent
    {
        SchemaVersion = BusCodec.SchemaVersion,
        RequestId = stream.RequestId,
        Tenant = Tenant(http.HttpContext),
        Model = gateway.Value.ResolveServedModelName(),
        Adapter = adapter ?? "",
    }, started, time, logger);

    /// <summary>The tenant of the request's API key (never a header a client could set: usage events are billed).</summary>
    private string Tenant(HttpContext? context) => context is null ? ChunkStore.Keys.TenantNamespace.DefaultTenant : tenants.Resolve(context).Tenant;

    /// <summary>
    /// Decode full (RESOURCE_EXHAUSTED) and decode down (UNAVAILABLE, marked as the decode side's) go back to the
    /// backend's retry; a request that will not be answered becomes the client's error.
    /// </summary>
    private Exception Translate(string requestId, RpcException e)
    {
        LogFailed(logger, requestId, e.StatusCode, e.Status.Detail);
        return e.StatusCode switch
        {
            StatusCode.ResourceExhausted => e,
            StatusCode.Unavailable => new RpcException(new Status(StatusCode.Unavailable, $"decode: {e.Status.Detail}")),
            StatusCode.DeadlineExceeded => DeadlineExceeded(e.Status.Detail),
            StatusCode.Aborted => DeadLettered(e.Status.Detail),
            StatusCode.InvalidArgument => new ArgumentException(e.Status.Detail),
            _ => new BackendUnavailableException($"the decode instance failed the request ({e.StatusCode}): {e.Status.Detail}", e),
        };
    }

    /// <summary>The client's 504 for a request that passed its deadline before it was computed.</summary>
    public ApiException DeadlineExceeded(string detail) => new(StatusCodes.Status504GatewayTimeout,
        $"The request was not answered before its deadline (Gateway:Bus:Deadline {options.Value.Deadline}): {detail}",
        ErrorTypes.Server, null, "deadline_exceeded");

    /// <summary>The client's 500 for a request that went to the dead-letter topic.</summary>
    public static ApiException DeadLettered(string detail) => new(StatusCodes.Status500InternalServerError,
        $"The request could not be processed: {detail}", ErrorTypes.Server, null, "request_dead_lettered");

    [LoggerMessage(Level = LogLevel.Information, Message = "Bus request {RequestId} failed before its first token ({Status}): {Reason}")]
    private static partial void LogFailed(ILogger logger, string requestId, StatusCode status, string reason);
}
