namespace Platform.Gateway.Routing;

/// <summary>Split mode's instances: <c>Gateway:Prefill:Instances</c> and <c>Gateway:Decode:Instances</c>.</summary>
public sealed class ClusterOptions
{
    public InstancePoolOptions Prefill { get; set; } = new();

    public InstancePoolOptions Decode { get; set; } = new();
}
