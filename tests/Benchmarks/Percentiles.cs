namespace Platform.Benchmarks;

/// <summary>Percentiles of the benchmarks' samples.</summary>
public static class Percentiles
{
    /// <summary>Linear-interpolation percentile (numpy's default); NaN when empty.</summary>
    public static double Of(IEnumerable<double> values, double p)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }
        double rank = p / 100 * (sorted.Length - 1);
        int lo = (int)Math.Floor(rank), hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }
}
