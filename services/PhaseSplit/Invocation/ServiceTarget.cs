namespace Platform.PhaseSplit.Invocation;

/// <summary>Another service instance: its Dapr app id, its gRPC address, or both.</summary>
public sealed record ServiceTarget(string? AppId, string? Address)
{
    public override string ToString() => AppId is { Length: > 0 } ? $"app '{AppId}'" : $"address '{Address}'";
}
