using Microsoft.Extensions.Options;
using Platform.Engine.Serving;
using Platform.Gateway.Backend;

namespace Platform.Gateway.Bus.Local;

/// <summary>
/// All-in-one with <c>Gateway:Dispatch Bus</c>: every request goes through this process's in-process bus before
/// the engine sees it, so the all-in-one mode has the same contract as Split mode's bus: 429 with Retry-After
/// past <c>Gateway:Bus:MaxLag</c> requests waiting or running, 504 for a request that passed its deadline
/// before the engine took it, a dead letter and 500 for one that keeps failing, one usage event per request.
/// </summary>
public sealed class LocalBusBackend(
    LocalEngineBackend engine, BusDispatcher dispatcher, LocalHandoff handoff, IOptions<BusDispatchOptions> options, TimeProvider time) : IGenerationBackend
{
    public ModelInfo? Model => engine.Model;

    public string NotReadyReason => engine.NotReadyReason;

    public EngineStats? Stats() => engine.Stats();

    public async ValueTask<IGenerationStream> StartAsync(GenerationRequest request, CancellationToken cancellationToken)
    {
        if (engine.Engine is null)
        {
            throw new BackendUnavailableException(engine.NotReadyReason);
        }
        dispatcher.ThrowIfBackedUp();
        long started = time.GetTimestamp();
        var spec = TokenEvents.ToSpec(request, request.RequestId);
        dispatcher.Stamp(spec);
        var taken = handoff.Register(request);
        try
        {
            await dispatcher.PublishAsync(dispatcher.Message(spec, decode: null), cancellationToken).ConfigureAwait(false);
            var stream = await taken.WaitAsync(options.Value.Deadline, time, cancellationToken).ConfigureAwait(false);
            return dispatcher.ReportUsage(stream, request.Adapter, started);
        }
        catch (TimeoutException)
        {
            Abandon(request.RequestId, taken);
            throw dispatcher.DeadlineExceeded($"request '{request.RequestId}' waited on the bus past its deadline; it was not computed");
        }
        catch (Exception e) when (e is OperationCanceledException or BackendUnavailableException)
        {
            Abandon(request.RequestId, taken);
            throw;
        }
    }

    /// <summary>The client stopped waiting: the worker finds nothing to run, or, had it just started the request, it is cancelled.</summary>
    private void Abandon(string requestId, Task<IGenerationStream> taken)
    {
        handoff.Abandon(requestId);
        _ = taken.ContinueWith(
            t => t.Result.DisposeAsync().AsTask(),
            CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default).Unwrap();
    }
}
