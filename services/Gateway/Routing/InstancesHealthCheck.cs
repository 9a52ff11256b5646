using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Platform.Gateway.Routing;

/// <summary>
/// Split mode: degraded (not unhealthy) while a pool has no healthy instance. The Gateway still answers,
/// with OpenAI-shaped 503s, and stays in its load balancer: pulling it would turn those into connection errors.
/// </summary>
internal sealed class InstancesHealthCheck(InstanceRegistry registry) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var down = new List<string>();
        foreach (var (pool, instances) in new[] { ("prefill", registry.Prefill), ("decode", registry.Decode) })
        {
            if (!instances.Any(i => i.IsHealthy))
            {
                down.Add($"no healthy {pool} instance ({string.Join("; ", instances.Select(i => $"{i.Name}: {i.LastError}"))})");
            }
        }
        return Task.FromResult(down.Count == 0 ? HealthCheckResult.Healthy() : HealthCheckResult.Degraded(string.Join(", ", down)));
    }
}
