namespace Platform.Engine.Scheduling;

/// <summary>Orders sequences by <see cref="Sequence.ArrivalOrder"/>, which the scheduler makes unique.</summary>
internal sealed class ArrivalOrderComparer : IComparer<Sequence>
{
    public static readonly ArrivalOrderComparer Instance = new();

    public int Compare(Sequence? x, Sequence? y) =>
        (x?.ArrivalOrder ?? long.MinValue).CompareTo(y?.ArrivalOrder ?? long.MinValue);
}
