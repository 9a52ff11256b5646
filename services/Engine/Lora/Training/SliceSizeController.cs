namespace Platform.Engine.Lora.Training;

/// <summary>
/// F and k against a per-iteration time budget, shrinking fast and growing slowly (AIMD-like): a slice
/// over its budget halves F, and once F is at 1 halves k; a slice that did all its work in under half its budget
/// grows F by an eighth (at least one token), and once F is at its maximum adds one layer to k. A slice cut short
/// (the sequence's last tokens, a backward layer that did not fit) says nothing about room, so it grows nothing.
/// </summary>
public sealed class SliceSizeController
{
    private readonly int _maxForwardTokens, _maxBackwardLayers;

    /// <param name="startAtFloor">Start at F = 1, k = 1 and grow (cautious: nothing known of the costs yet) rather than at the maxima.</param>
    public SliceSizeController(int maxForwardTokens, int maxBackwardLayers, bool startAtFloor = false)
    {
        if (maxForwardTokens < 1 || maxBackwardLayers < 1)
        {
            throw new ArgumentException($"slice maxima must be at least 1 (F {maxForwardTokens}, k {maxBackwardLayers})");
        }
        _maxForwardTokens = maxForwardTokens;
        _maxBackwardLayers = maxBackwardLayers;
        ForwardTokens = startAtFloor ? 1 : maxForwardTokens;
        BackwardLayers = startAtFloor ? 1 : maxBackwardLayers;
    }

    public int ForwardTokens { get; private set; }
    public int BackwardLayers { get; private set; }

    /// <summary>F and k are both 1: the smallest slice there is.</summary>
    public bool AtFloor => ForwardTokens == 1 && BackwardLayers == 1;

    public void Observe(TimeSpan spent, TimeSpan budget, bool ranWholeSlice = true)
    {
        if (spent > budget)
        {
            if (ForwardTokens > 1)
            {
                ForwardTokens /= 2;
            }
            else
            {
                BackwardLayers = Math.Max(1, BackwardLayers / 2);
            }
        }
        else if (ranWholeSlice && spent < budget / 2)
        {
            if (ForwardTokens < _maxForwardTokens)
            {
                ForwardTokens = Math.Min(_maxForwardTokens, ForwardTokens + Math.Max(1, ForwardTokens / 8));
            }
            else if (BackwardLayers < _maxBackwardLayers)
            {
                BackwardLayers++;
            }
        }
    }
}
