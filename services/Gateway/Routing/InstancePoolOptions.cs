namespace Platform.Gateway.Routing;

/// <summary>The instances of one pool (<c>Gateway:Prefill</c> or <c>Gateway:Decode</c>).</summary>
public sealed class InstancePoolOptions
{
    public List<InstanceOptions> Instances { get; set; } = [];
}
