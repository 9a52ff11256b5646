using Grpc.Core;

namespace Platform.PhaseSplit;

/// <summary>The gRPC errors the phase-split services answer with.</summary>
public static class Faults
{
    public static RpcException Of(StatusCode status, string message) => new(new Status(status, message));

    public static RpcException Invalid(string message) => Of(StatusCode.InvalidArgument, message);
}
