namespace Platform.Engine.Scheduling;

/// <summary>
/// The tokens of one sequence to compute in one step: positions [Start, Start + Count), contiguous and
/// starting at the sequence's <see cref="Sequence.NumComputedTokens"/>. A decode step is a chunk of 1.
/// The sequence's <see cref="Sequence.BlockTable"/> already covers positions [0, Start + Count).
/// </summary>
public sealed record ScheduledChunk(Sequence Sequence, int Start, int Count)
{
    /// <summary>
    /// True when the chunk reaches the sequence's last token, so the step yields logits to sample the next
    /// token from. Captured when the chunk is made, so it stays true after the engine's AppendToken.
    /// </summary>
    public bool SamplesNextToken { get; } = Start + Count == Sequence.TokenCount;

    /// <summary>One past the last position computed by this chunk.</summary>
    public int End => Start + Count;
}
