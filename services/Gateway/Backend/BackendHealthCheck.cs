using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Platform.Gateway.Backend;

/// <summary>Readiness: healthy once the backend can serve the model.</summary>
internal sealed class BackendHealthCheck(IGenerationBackend backend) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(backend.Model is not null
            ? HealthCheckResult.Healthy("model loaded")
            : HealthCheckResult.Unhealthy(backend.NotReadyReason));
}
