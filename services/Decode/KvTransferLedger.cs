using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Platform.Decode;

/// <summary>
/// Which request ids have a KV transfer in progress here and which have committed recently. A request bus
/// redelivers a request whose worker died or stalled, so the same KV may be sent twice: a second transfer for
/// a committed id is acknowledged and ignored (one answer, one usage event), and one for an id still being
/// received is refused until the first ends. Committed ids are remembered for <see cref="DecodeOptions.CommittedRequestMemory"/>.
/// </summary>
public sealed class KvTransferLedger(IOptions<DecodeOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, State> _states = new(StringComparer.Ordinal);

    public bool IsCommitted(string requestId) => _states.TryGetValue(requestId, out var state) && state == State.Committed;

    /// <summary>False when another transfer of this id is in progress or has committed.</summary>
    public bool TryBegin(string requestId) => _states.TryAdd(requestId, State.Receiving);

    /// <summary>The transfer ended: committed ids are kept (then forgotten later), failed ones may be sent again.</summary>
    public void End(string requestId, bool committed)
    {
        if (!committed)
        {
            _states.TryRemove(KeyValuePair.Create(requestId, State.Receiving));
            return;
        }
        _states[requestId] = State.Committed;
        _ = Task.Delay(options.Value.CommittedRequestMemory, time).ContinueWith(
            _ => _states.TryRemove(KeyValuePair.Create(requestId, State.Committed)),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private enum State
    {
        Receiving,
        Committed,
    }
}
