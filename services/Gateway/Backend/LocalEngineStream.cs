using System.Runtime.CompilerServices;
using Platform.Engine.Serving;

namespace Platform.Gateway.Backend;

/// <summary>A request on the in-process engine; cancelling or disposing early calls <see cref="LlmEngine.Cancel"/>.</summary>
internal sealed class LocalEngineStream(LlmEngine engine, RequestStream stream, Action<string> onEnded) : IGenerationStream
{
    private int _ended;

    public string RequestId => stream.RequestId;

    public async IAsyncEnumerable<GenerationEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Cancellation goes to the engine, not to the read: the engine then ends the stream with its
        // Cancelled event, having freed the request's KV blocks.
        await using var registration = cancellationToken.Register(() => engine.Cancel(RequestId));
        await foreach (var e in stream.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            if (e.IsFinal)
            {
                End();
            }
            yield return e;
        }
    }

    public ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref _ended) == 0)
        {
            engine.Cancel(RequestId);
            End();
        }
        return ValueTask.CompletedTask;
    }

    private void End()
    {
        if (Interlocked.Exchange(ref _ended, 1) == 0)
        {
            onEnded(RequestId);
        }
    }
}
