using Grpc.Core;
using Microsoft.Extensions.Options;
using Platform.Contracts.Inference.V1;
using Platform.Engine.Serving;
using Platform.Gateway.Bus;
using Platform.Gateway.Configuration;
using Platform.Gateway.Metrics;
using Platform.Gateway.Routing;
using Platform.PhaseSplit.Invocation;
using Platform.PhaseSplit.Mapping;

namespace Platform.Gateway.Backend;

/// <summary>
/// Phase-split serving: per request the router picks a prefill and a decode instance; the backend subscribes
/// to the tokens on the decode instance first, then has the prefill instance compute the prompt and stream its
/// KV there. A decode instance that refuses the KV (RESOURCE_EXHAUSTED) or cannot be reached is replaced by the
/// next candidate, up to <see cref="RoutingOptions.MaxDecodeAttempts"/>; then, or with no healthy instance, 503.
/// A colocated decision runs both phases on the one instance the router chose (GenerateColocated), no KV moved.
/// The Gateway holds no weights: it reads only the model directory's config and tokenizer.
/// </summary>
public sealed partial class SplitBackend(
    IOptions<GatewayOptions> options,
    IOptionsMonitor<RoutingOptions> routing,
    InstanceRegistry registry,
    ClusterRouter router,
    IGrpcChannelFactory channels,
    SplitMetrics metrics,
    TimeProvider time,
    ILogger<SplitBackend> logger,
    BusDispatcher? bus = null) : IGenerationBackend, IHostedService
{
    private volatile ModelInfo? _model;
    private volatile string _notReadyReason = "the tokenizer is loading";

    public ModelInfo? Model => _model;

    public string NotReadyReason => _notReadyReason;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var path = options.Value.ModelPath!;
        try
        {
            _model = ModelDirectory.ReadInfo(path, options.Value.MaxModelLength, time.GetUtcNow());
        }
        catch (Exception e) when (e is Platform.Engine.ModelLoadException or IOException or InvalidOperationException or System.Text.Json.JsonException)
        {
            _notReadyReason = $"the model directory could not be read: {e.Message}";
            LogModelFailed(logger, e, path);
            throw;
        }
        LogSplitMode(logger, options.Value.ResolveServedModelName(), string.Join(", ", registry.Prefill.Select(i => i.Name)),
            string.Join(", ", registry.Decode.Select(i => i.Name)), _model.MaxModelLength);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _model = null;
        _notReadyReason = "the server is shutting down";
        return Task.CompletedTask;
    }

    /// <summary>The decode pool's load from the last reports (the engine gauges' source); null before any report.</summary>
    public EngineStats? Stats()
    {
        var reports = registry.Decode.Select(i => i.Load(time, TimeSpan.MaxValue)).OfType<InstanceLoad>().ToList();
        if (reports.Count == 0)
        {
            return null;
        }
        int free = reports.Sum(r => Math.Max(0, r.FreeKvBlocks));
        int total = reports.Sum(r => r.TotalKvBlocks);
        return new EngineStats(reports.Sum(r => r.RunningSequences), reports.Sum(r => r.WaitingSequences),
            total == 0 ? 0 : 1.0 - ((double)free / total), free, total, 0, 0, 0, 0, 0, 0);
    }

    public async ValueTask<IGenerationStream> StartAsync(GenerationRequest request, CancellationToken cancellationToken)
    {
        _ = _model ?? throw new BackendUnavailableException(_notReadyReason);
        bus?.ThrowIfBackedUp();
        long started = time.GetTimestamp();
        var policy = routing.CurrentValue;
        var excludedPrefill = new HashSet<string>(StringComparer.Ordinal);
        var excludedDecode = new HashSet<string>(StringComparer.Ordinal);
        string? lastFailure = null;
        for (int attempt = 0; attempt < policy.MaxDecodeAttempts; attempt++)
        {
            var decision = router.Route(request.PromptTokenIds.Count, excludedPrefill, excludedDecode);
            metrics.RecordDecision(decision);
            // Bus workers pull their work, so a split request needs only its decode instance here.
            if (bus is not null && decision is { Kind: not RoutingKind.Colocated, Decode: { } busDecode })
            {
                busDecode.AddSent(0, decision.PromptBlocks);
                string busWireId = attempt == 0 ? request.RequestId : $"{request.RequestId}~{attempt}";
                var dispatched = await TryAsync(request, busWireId, null, busDecode, policy, started, cancellationToken).ConfigureAwait(false);
                if (dispatched.Stream is { } busStream)
                {
                    return bus.ReportUsage(busStream, request.Adapter, started);
                }
                lastFailure = dispatched.Failure;
                metrics.RecordDecodeRetry(dispatched.Retry == Retry.DecodeFull ? "decode_full" : "decode_down");
                if (dispatched.Retry != Retry.DecodeFull)
                {
                    busDecode.MarkUnhealthy(dispatched.Failure!);
                }
                excludedDecode.Add(busDecode.Name);
                LogRetry(logger, request.RequestId, dispatched.Retry, dispatched.Failure!);
                continue;
            }
            if (decision is not { Kind: not RoutingKind.Unavailable, Prefill: { } prefill, Decode: { } decode })
            {
                throw new BackendUnavailableException(Unavailable(decision, lastFailure));
            }
            // A retry travels under its own id: the refused attempt may still be winding down on either side.
            string wireId = attempt == 0 ? request.RequestId : $"{request.RequestId}~{attempt}";
            Outcome outcome;
            if (decision is { Kind: RoutingKind.Colocated, ColocatedOn: { } on })
            {
                on.AddSent(request.PromptTokenIds.Count, decision.PromptBlocks);
                outcome = await TryColocatedAsync(request, wireId, on, started, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                ClusterRouter.RecordDispatch(prefill, decode, request.PromptTokenIds.Count, decision.PromptBlocks);
                outcome = await TryAsync(request, wireId, prefill, decode, policy, started, cancellationToken).ConfigureAwait(false);
            }
            if (outcome.Stream is { } stream)
            {
                return bus is null ? stream : bus.ReportUsage(stream, request.Adapter, started);
            }
            lastFailure = outcome.Failure;
            metrics.RecordDecodeRetry(outcome.Retry switch
            {
                Retry.DecodeFull => "decode_full",
                Retry.DecodeDown => "decode_down",
                _ => "prefill_down",
            });
            var failed = outcome.Instance!;
            if (outcome.Retry != Retry.DecodeFull)
            {
                failed.MarkUnhealthy(outcome.Failure!);
            }
            (failed.Role == InstanceRole.Prefill ? excludedPrefill : excludedDecode).Add(failed.Name);
            LogRetry(logger, request.RequestId, outcome.Retry, outcome.Failure!);
        }
        throw new BackendUnavailableException($"no instance could take the request after {policy.MaxDecodeAttempts} attempts; last: {lastFailure}");
    }

    private async Task<Outcome> TryAsync(
        GenerationRequest request, string wireId, InstanceState? prefill, InstanceState decode, RoutingOptions policy, long started, CancellationToken cancellationToken)
    {
        var spec = TokenEvents.ToSpec(request, wireId);
        bus?.Stamp(spec);
        var decodeClient = new DecodeService.DecodeServiceClient(channels.CreateInvoker(decode.Target));
        var callCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        AsyncServerStreamingCall<TokenEvent>? subscription = null;
        try
        {
            // Subscribe first: the decode side pairs the subscription and the KV by request id, whichever comes first.
            subscription = decodeClient.Generate(spec, cancellationToken: callCancellation.Token);
            if (bus is not null)
            {
                var dispatched = await bus.DispatchAsync(spec, decode.Target, subscription, cancellationToken).ConfigureAwait(false);
                subscription = null;
                return new Outcome(new SplitGenerationStream(request.RequestId, wireId, dispatched, callCancellation, decodeClient, null, started, metrics, time, logger),
                    Retry.None, null, null);
            }
            var reply = await new PrefillService.PrefillServiceClient(channels.CreateInvoker(prefill!.Target)).PrefillAsync(
                new PrefillRequest
                {
                    SchemaVersion = ContractMapping.SpecSchemaVersion,
                    Spec = spec,
                    Decode = new DecodeTarget { AppId = decode.Target.AppId ?? "", Address = decode.Target.Address ?? "" },
                },
                deadline: time.GetUtcNow().UtcDateTime + policy.PrefillTimeout,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            var stream = new SplitGenerationStream(request.RequestId, wireId, subscription, callCancellation, decodeClient, reply, started, metrics, time, logger);
            subscription = null;
            return new Outcome(stream, Retry.None, null, null);
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            var retry = Classify(e);
            if (retry == Retry.None)
            {
                throw Translate(e);
            }
            var failed = retry == Retry.PrefillDown && prefill is not null ? prefill : decode;
            return new Outcome(null, retry, $"{failed}: {e.StatusCode}: {e.Status.Detail}", failed);
        }
        catch (RpcException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        finally
        {
            if (subscription is not null)
            {
                await callCancellation.CancelAsync().ConfigureAwait(false);
                subscription.Dispose();
                callCancellation.Dispose();
            }
        }
    }

    /// <summary>
    /// Both phases on <paramref name="instance"/>'s own engine (a decode instance for a short prompt, a prefill
    /// instance when the decode pool is full). The engine queues rather than refuses, so only an unreachable
    /// instance is worth another try. Waiting for the response headers (sent with the first token) surfaces that
    /// before the stream is handed out, as the split path's prefill reply does.
    /// </summary>
    private async Task<Outcome> TryColocatedAsync(
        GenerationRequest request, string wireId, InstanceState instance, long started, CancellationToken cancellationToken)
    {
        var spec = TokenEvents.ToSpec(request, wireId);
        var invoker = channels.CreateInvoker(instance.Target);
        var callCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        AsyncServerStreamingCall<TokenEvent>? call = null;
        try
        {
            call = instance.Role == InstanceRole.Prefill
                ? new PrefillService.PrefillServiceClient(invoker).GenerateColocated(spec, cancellationToken: callCancellation.Token)
                : new DecodeService.DecodeServiceClient(invoker).GenerateColocated(spec, cancellationToken: callCancellation.Token);
            await call.ResponseHeadersAsync.ConfigureAwait(false);
            var stream = new SplitGenerationStream(request.RequestId, wireId, call, callCancellation, null, null, started, metrics, time, logger);
            call = null;
            return new Outcome(stream, Retry.None, null, null);
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            if (e.StatusCode != StatusCode.Unavailable)
            {
                throw Translate(e);
            }
            return new Outcome(null, instance.Role == InstanceRole.Prefill ? Retry.PrefillDown : Retry.DecodeDown,
                $"{instance}: {e.StatusCode}: {e.Status.Detail}", instance);
        }
        catch (RpcException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        finally
        {
            if (call is not null)
            {
                await callCancellation.CancelAsync().ConfigureAwait(false);
                call.Dispose();
                callCancellation.Dispose();
            }
        }
    }

    /// <summary>
    /// Which side failed and whether another instance may succeed. The prefill service relays the decode side's
    /// status with a "decode: " prefix (KvSender.Explain); RESOURCE_EXHAUSTED comes only from a decode side.
    /// </summary>
    private static Retry Classify(RpcException e)
    {
        bool fromDecode = e.Status.Detail.StartsWith("decode:", StringComparison.Ordinal);
        return e.StatusCode switch
        {
            StatusCode.ResourceExhausted => Retry.DecodeFull,
            StatusCode.Unavailable when fromDecode => Retry.DecodeDown,
            StatusCode.Unavailable => Retry.PrefillDown,
            _ => Retry.None,
        };
    }

    private static Exception Translate(RpcException e) => e.StatusCode switch
    {
        // The engine's refusal names the field: 400 with its message.
        StatusCode.InvalidArgument => new ArgumentException(e.Status.Detail),
        StatusCode.DeadlineExceeded => new BackendUnavailableException($"the prefill did not finish in time: {e.Status.Detail}", e),
        _ => new BackendUnavailableException($"the phase-split services failed the request ({e.StatusCode}): {e.Status.Detail}", e),
    };

    private static string Unavailable(RoutingDecision decision, string? lastFailure)
    {
        var what = decision.Reason == RoutingReason.NoPrefillInstance ? "no healthy prefill instance" : "no healthy decode instance";
        return lastFailure is null ? what : $"{what}; last failure: {lastFailure}";
    }

    private enum Retry
    {
        None,
        DecodeFull,
        DecodeDown,
        PrefillDown,
    }

    /// <param name="Instance">The instance to skip on the next attempt (and, unless it was only full, mark unhealthy).</param>
    private sealed record Outcome(SplitGenerationStream? Stream, Retry Retry, string? Failure, InstanceState? Instance);

    [LoggerMessage(Level = LogLevel.Information, Message = "Split mode: serving {ServedModelName} (max model length {MaxModelLength}) with prefill [{Prefill}] and decode [{Decode}]")]
    private static partial void LogSplitMode(ILogger logger, string servedModelName, string prefill, string decode, int maxModelLength);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Reading the model directory {Path} (config.json, tokenizer) failed")]
    private static partial void LogModelFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Request {RequestId}: trying another instance ({Retry}): {Failure}")]
    private static partial void LogRetry(ILogger logger, string requestId, Retry retry, string failure);
}
