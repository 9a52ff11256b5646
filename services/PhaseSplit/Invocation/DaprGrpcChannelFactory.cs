using System.Collections.Concurrent;
using Dapr.Client;
using Grpc.Core;

namespace Platform.PhaseSplit.Invocation;

/// <summary>
/// Through the Dapr sidecar (Kubernetes mode): calls carry <c>dapr-app-id</c> and the sidecar routes them
/// to an instance of that app with mTLS. A target without an app id goes straight to its address.
/// </summary>
public sealed class DaprGrpcChannelFactory(string daprEndpoint, string? daprApiToken, DirectGrpcChannelFactory direct) : IGrpcChannelFactory
{
    private readonly ConcurrentDictionary<string, CallInvoker> _invokers = new(StringComparer.Ordinal);

    /// <summary>The sidecar's gRPC endpoint as Dapr announces it (<c>DAPR_GRPC_PORT</c>), or null when there is none.</summary>
    public static string? SidecarEndpoint(Func<string, string?> environment) =>
        environment("DAPR_GRPC_ENDPOINT") is { Length: > 0 } endpoint ? endpoint
        : environment("DAPR_GRPC_PORT") is { Length: > 0 } port ? $"http://127.0.0.1:{port}"
        : null;

    public CallInvoker CreateInvoker(ServiceTarget target) =>
        string.IsNullOrEmpty(target.AppId)
            ? direct.CreateInvoker(target)
            : _invokers.GetOrAdd(target.AppId, appId =>
                DaprClient.CreateInvocationInvoker(appId, GrpcChannels.Options(), daprEndpoint, daprApiToken));
}
