using Grpc.Core;

namespace Platform.PhaseSplit.Invocation;

/// <summary>
/// Calls to another service of the platform: through the Dapr sidecar when one is present (service
/// invocation by app id, mTLS), straight to the configured address otherwise. Callers do not know which.
/// </summary>
public interface IGrpcChannelFactory
{
    CallInvoker CreateInvoker(ServiceTarget target);
}
