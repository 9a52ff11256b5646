using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Platform.PhaseSplit.Hosting;

/// <summary>Ready once the model is loaded and the engine loop runs.</summary>
public sealed class EngineHealthCheck(EngineHost host) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(host.IsRunning ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("the engine is not running"));
}
