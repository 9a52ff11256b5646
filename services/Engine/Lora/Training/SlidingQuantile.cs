namespace Platform.Engine.Lora.Training;

/// <summary>
/// A quantile (such as p99) of the last <c>capacity</c> samples. The window is sorted again only every
/// <c>refreshEvery</c> samples, so reading it on every engine iteration stays cheap.
/// </summary>
public sealed class SlidingQuantile
{
    private readonly double[] _window;
    private readonly double[] _sorted;
    private readonly double _quantile;
    private readonly int _refreshEvery;
    private int _next, _sinceRefresh;
    private double _value;

    public SlidingQuantile(int capacity, double quantile, int refreshEvery = 16)
    {
        if (capacity < 1 || quantile is <= 0 or > 1 || refreshEvery < 1)
        {
            throw new ArgumentException($"a sliding quantile needs capacity >= 1 ({capacity}), 0 < quantile <= 1 ({quantile}) and refreshEvery >= 1 ({refreshEvery})");
        }
        _window = new double[capacity];
        _sorted = new double[capacity];
        _quantile = quantile;
        _refreshEvery = refreshEvery;
    }

    /// <summary>Samples in the window (at most its capacity).</summary>
    public int Count { get; private set; }

    /// <summary>The quantile of the window as of the last refresh; 0 while empty.</summary>
    public double Value
    {
        get
        {
            if (_sinceRefresh > 0 && (_sinceRefresh >= _refreshEvery || Count < _window.Length))
            {
                Refresh();
            }
            return _value;
        }
    }

    public void Add(double sample)
    {
        _window[_next] = sample;
        _next = (_next + 1) % _window.Length;
        Count = Math.Min(Count + 1, _window.Length);
        _sinceRefresh++;
    }

    private void Refresh()
    {
        Array.Copy(_window, _sorted, Count);
        Array.Sort(_sorted, 0, Count);
        // Nearest rank: the smallest sample with at least this share of the window at or below it.
        int rank = (int)Math.Ceiling(_quantile * Count);
        _value = _sorted[Math.Clamp(rank - 1, 0, Count - 1)];
        _sinceRefresh = 0;
    }
}
