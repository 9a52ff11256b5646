using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;

namespace Platform.PhaseSplit.Invocation;

/// <summary>Straight to the target's address (local multi-process mode); one channel per address, kept for the process.</summary>
public sealed class DirectGrpcChannelFactory : IGrpcChannelFactory, IDisposable
{
    private readonly ConcurrentDictionary<string, GrpcChannel> _channels = new(StringComparer.Ordinal);

    public CallInvoker CreateInvoker(ServiceTarget target)
    {
        if (string.IsNullOrEmpty(target.Address) || !Uri.TryCreate(target.Address, UriKind.Absolute, out _))
        {
            throw Faults.Invalid($"no Dapr sidecar is configured (DAPR_GRPC_PORT), so the target needs an absolute address; got {target}");
        }
        return _channels.GetOrAdd(target.Address, a => GrpcChannel.ForAddress(a, GrpcChannels.Options())).CreateCallInvoker();
    }

    public void Dispose()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }
    }
}
