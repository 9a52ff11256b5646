using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;

namespace Platform.ServiceDefaults;

/// <summary>
/// What every service of the platform shares: liveness and readiness endpoints over health checks, and
/// Prometheus metrics of every <c>Platform.*</c> meter (plus ASP.NET Core's and Kestrel's own) at <c>/metrics</c>.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Health checks tagged with this run for <c>/alive</c>; every check runs for <c>/health</c>.</summary>
    public const string LiveTag = "live";

    public const string AlivePath = "/alive";
    public const string HealthPath = "/health";
    public const string MetricsPath = "/metrics";

    /// <summary>Meters exported at <c>/metrics</c>; services name theirs <c>Platform.Something</c>.</summary>
    public static readonly IReadOnlyList<string> ExportedMeters =
        ["Platform.*", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel"];

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), tags: [LiveTag]);
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter([.. ExportedMeters])
            // Scrapes see the values of the moment: Prometheus scrapes every few seconds anyway, and a
            // cached response would make a scrape right after a request miss it.
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        if (builder is WebApplicationBuilder web)
        {
            web.AddManagementPort();
        }
        return builder;
    }

    /// <summary>Maps <c>/alive</c> (the process answers), <c>/health</c> (every check, e.g. the model is loaded) and <c>/metrics</c>.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(AlivePath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(LiveTag),
            ResponseWriter = WriteStatusAsync,
        });
        app.MapHealthChecks(HealthPath, new HealthCheckOptions { ResponseWriter = WriteStatusAsync });
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        return app;
    }

    /// <summary>The overall status, then one line per check that is not healthy with its reason.</summary>
    private static Task WriteStatusAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        var lines = new List<string> { report.Status.ToString() };
        lines.AddRange(report.Entries
            .Where(e => e.Value.Status != HealthStatus.Healthy)
            .Select(e => $"{e.Key}: {e.Value.Status}{(e.Value.Description is { } d ? " - " + d : "")}"));
        return context.Response.WriteAsync(string.Join('\n', lines) + "\n");
    }
}
