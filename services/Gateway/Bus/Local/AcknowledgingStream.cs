using System.Runtime.CompilerServices;
using Platform.Engine.Serving;
using Platform.Gateway.Backend;

namespace Platform.Gateway.Bus.Local;

/// <summary>
/// An engine stream whose bus message is acknowledged when the request ends (final event or early dispose),
/// so the bus's lag counts the requests waiting and running here: what back-pressure (429) reads.
/// </summary>
internal sealed class AcknowledgingStream(IGenerationStream inner, Func<Task> acknowledge) : IGenerationStream
{
    private int _acknowledged;

    public string RequestId => inner.RequestId;

    public async IAsyncEnumerable<GenerationEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in inner.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (e.IsFinal)
            {
                await AcknowledgeAsync().ConfigureAwait(false);
            }
            yield return e;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await AcknowledgeAsync().ConfigureAwait(false);
    }

    private Task AcknowledgeAsync() => Interlocked.Exchange(ref _acknowledged, 1) == 0 ? acknowledge() : Task.CompletedTask;
}
