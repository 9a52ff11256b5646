namespace Platform.Gateway.Routing;

/// <summary>Which phase an instance serves.</summary>
public enum InstanceRole
{
    Prefill,
    Decode,
}
