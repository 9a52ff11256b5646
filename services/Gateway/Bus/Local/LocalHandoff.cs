using System.Collections.Concurrent;
using Platform.Engine.Serving;
using Platform.Gateway.Backend;

namespace Platform.Gateway.Bus.Local;

/// <summary>
/// All-in-one bus dispatch: the requests this process published and is waiting to see taken off its own
/// in-process bus, by request id. The bus message carries the spec; the engine request itself (with its
/// in-memory blend and adapter) is handed over here, in the same process, when the worker takes it.
/// </summary>
public sealed class LocalHandoff
{
    private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);

    public int Count => _pending.Count;

    /// <summary>Registers a request before it is published; the task completes with its stream or its error.</summary>
    public Task<IGenerationStream> Register(GenerationRequest request)
    {
        var pending = new Pending(request, new TaskCompletionSource<IGenerationStream>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_pending.TryAdd(request.RequestId, pending))
        {
            throw new ArgumentException($"request id '{request.RequestId}' is already in use", "request_id");
        }
        return pending.Started.Task;
    }

    /// <summary>Takes the waiting request off the table (null: its client left, or a redelivery of one already taken).</summary>
    public Pending? Take(string requestId) => _pending.TryRemove(requestId, out var pending) ? pending : null;

    /// <summary>The client stopped waiting before the worker took the request: the worker will find nothing to run.</summary>
    public void Abandon(string requestId) => _pending.TryRemove(requestId, out _);

    /// <summary>A request the worker took: it starts <see cref="Started"/> with the stream or the reason it will not run.</summary>
    public sealed record Pending(GenerationRequest Request, TaskCompletionSource<IGenerationStream> Started);
}
