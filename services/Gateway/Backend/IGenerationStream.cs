using Platform.Engine.Serving;

namespace Platform.Gateway.Backend;

/// <summary>
/// One queued request's events, ending with the event that carries the finish reason. Cancelling the
/// token passed to <see cref="ReadAllAsync"/>, or disposing early, cancels the request in the engine.
/// </summary>
public interface IGenerationStream : IAsyncDisposable
{
    string RequestId { get; }

    IAsyncEnumerable<GenerationEvent> ReadAllAsync(CancellationToken cancellationToken);
}
