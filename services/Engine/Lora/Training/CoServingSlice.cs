namespace Platform.Engine.Lora.Training;

/// <summary>
/// What the guard lets one iteration's fine-tuning do: at most <paramref name="ForwardTokens"/> forward tokens,
/// then at most <paramref name="BackwardLayers"/> backward layers, all within <paramref name="Budget"/>.
/// <paramref name="CoServed"/>: the iteration also ran inference.
/// </summary>
public sealed record CoServingSlice(int ForwardTokens, int BackwardLayers, TimeSpan Budget, bool CoServed)
{
    /// <summary>No fine-tuning in this iteration: not even the smallest slice fits its budget.</summary>
    public static CoServingSlice Skip(TimeSpan budget) => new(0, 0, budget, CoServed: true);

    public bool Skips => ForwardTokens == 0 && BackwardLayers == 0;
}
