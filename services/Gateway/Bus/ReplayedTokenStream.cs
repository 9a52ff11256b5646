using Grpc.Core;
using Platform.Contracts.Inference.V1;

namespace Platform.Gateway.Bus;

/// <summary>A token stream whose first event was already read (to learn whether the request succeeded), handed on whole.</summary>
internal sealed class ReplayedTokenStream(TokenEvent first, IAsyncStreamReader<TokenEvent> rest) : IAsyncStreamReader<TokenEvent>
{
    private bool _replayed;

    public TokenEvent Current { get; private set; } = null!;

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        if (!_replayed)
        {
            _replayed = true;
            Current = first;
            return true;
        }
        if (!await rest.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            return false;
        }
        Current = rest.Current;
        return true;
    }

    /// <summary>The same call, reading from the replayed stream.</summary>
    public static AsyncServerStreamingCall<TokenEvent> Wrap(TokenEvent first, AsyncServerStreamingCall<TokenEvent> call) =>
        new(new ReplayedTokenStream(first, call.ResponseStream), call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
}
