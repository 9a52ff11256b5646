namespace Platform.Gateway.Routing;

/// <summary>One Prefill or Decode instance: a name for logs and metrics, and its Dapr app id or gRPC address.</summary>
public sealed class InstanceOptions
{
    public string Name { get; set; } = "";

    /// <summary>gRPC address for direct calls, e.g. <c>http://127.0.0.1:5102</c>.</summary>
    public string? Address { get; set; }

    /// <summary>Dapr app id, used when a sidecar is present (DAPR_GRPC_PORT).</summary>
    public string? AppId { get; set; }
}
