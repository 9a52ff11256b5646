using System.Globalization;

namespace Platform.Deployment.Tests;

/// <summary>The series names of a Prometheus text exposition (what /metrics returns).</summary>
public static class PrometheusText
{
    public static IReadOnlySet<string> SeriesNames(string exposition) =>
        Samples(exposition).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>The sum of a series' samples over all its label sets (0 when absent).</summary>
    public static double Sum(string exposition, string name) =>
        Samples(exposition).Where(s => s.Name == name).Sum(s => s.Value);

    private static IEnumerable<(string Name, double Value)> Samples(string exposition) =>
        exposition.Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line =>
            {
                // name{labels} value [timestamp]: the value follows the labels (label values may hold spaces).
                int end = line.IndexOfAny(['{', ' ']);
                int valueStart = line[end] == '{' ? line.IndexOf(' ', line.LastIndexOf('}') + 1) + 1 : end + 1;
                var value = line[valueStart..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                return (line[..end], double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN);
            });
}
