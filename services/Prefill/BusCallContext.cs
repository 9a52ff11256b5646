using Grpc.Core;

namespace Platform.Prefill;

/// <summary>
/// The call context of a prefill that came from the request bus rather than a gRPC call: the request's
/// deadline and the worker's cancellation, so <see cref="KvSender"/> runs the same code for both.
/// </summary>
internal sealed class BusCallContext(string requestId, DateTime deadline, CancellationToken cancellationToken) : ServerCallContext
{
    private readonly Metadata _trailers = [];
    private Status _status;
    private WriteOptions? _writeOptions;

    protected override string MethodCore => "bus/Prefill";
    protected override string HostCore => "request-bus";
    protected override string PeerCore => $"bus:{requestId}";
    protected override DateTime DeadlineCore => deadline;
    protected override Metadata RequestHeadersCore => [];
    protected override CancellationToken CancellationTokenCore => cancellationToken;
    protected override Metadata ResponseTrailersCore => _trailers;

    protected override Status StatusCore
    {
        get => _status;
        set => _status = value;
    }

    protected override WriteOptions? WriteOptionsCore
    {
        get => _writeOptions;
        set => _writeOptions = value;
    }

    protected override AuthContext AuthContextCore => new(null, []);

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        throw new NotSupportedException("a bus prefill has no incoming call to propagate");

    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
}
