namespace Platform.Deployment.Tests;

/// <summary>The series names of a Prometheus text exposition (what /metrics returns).</summary>
public static class PrometheusText
{
    public static IReadOnlySet<string> SeriesNames(string exposition) =>
        exposition.Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line[..line.IndexOfAny(['{', ' '])])
            .ToHashSet(StringComparer.Ordinal);
}
