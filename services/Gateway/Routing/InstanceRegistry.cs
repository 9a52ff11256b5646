using Microsoft.Extensions.Options;
using Platform.PhaseSplit.Invocation;

namespace Platform.Gateway.Routing;

/// <summary>The configured Prefill and Decode instances (<c>Gateway:Prefill:Instances</c>, <c>Gateway:Decode:Instances</c>).</summary>
public sealed class InstanceRegistry
{
    public InstanceRegistry(IOptions<ClusterOptions> options)
    {
        Prefill = Create(options.Value.Prefill, InstanceRole.Prefill);
        Decode = Create(options.Value.Decode, InstanceRole.Decode);
    }

    public IReadOnlyList<InstanceState> Prefill { get; }

    public IReadOnlyList<InstanceState> Decode { get; }

    public IEnumerable<InstanceState> All => Prefill.Concat(Decode);

    private static InstanceState[] Create(InstancePoolOptions pool, InstanceRole role) =>
        [.. pool.Instances.Select(i => new InstanceState(i.Name, role, new ServiceTarget(NullIfEmpty(i.AppId), NullIfEmpty(i.Address))))];

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
