namespace Platform.Engine.Scheduling;

public sealed partial class Scheduler
{
    // Sequences whose KV is arriving from another instance: they hold blocks but are neither scheduled
    // nor chosen as preemption victims, since their KV is being written while the engine steps.
    private readonly HashSet<Sequence> _importing = [];

    /// <summary>Sequences holding blocks for KV that is still being imported.</summary>
    public int NumImporting => _importing.Count;

    /// <summary>
    /// Reserves blocks for positions [0, <paramref name="numComputedTokens"/>) of a sequence whose KV was
    /// computed elsewhere and will be written into them (layer by layer, while other sequences run). The
    /// sequence is <see cref="SequenceStatus.Importing"/> until <see cref="CompleteImport"/>. False, holding
    /// nothing, when blocks or running slots are short.
    /// </summary>
    public bool TryReserveForImport(Sequence sequence, int numComputedTokens)
    {
        ValidateNew(sequence);
        ArgumentOutOfRangeException.ThrowIfNegative(numComputedTokens);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(numComputedTokens, sequence.TokenCount);
        if (_running.Count + _importing.Count >= Options.MaxRunningSequences || !KvCache.TryAllocate(sequence, numComputedTokens, []))
        {
            return false;
        }

        Accept(sequence);
        sequence.NumComputedTokens = numComputedTokens;
        sequence.Status = SequenceStatus.Importing;
        _importing.Add(sequence);
        return true;
    }

    /// <summary>The imported KV is complete and the sequence has a token to compute: it joins the running batch.</summary>
    public void CompleteImport(Sequence sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        if (!_importing.Contains(sequence))
        {
            throw new InvalidOperationException($"{sequence} is not importing.");
        }

        if (sequence.NumComputedTokens >= sequence.TokenCount)
        {
            throw new InvalidOperationException(
                $"{sequence} has nothing to compute; append the token sampled on the other side before completing the import.");
        }

        _importing.Remove(sequence);
        sequence.Status = SequenceStatus.Running;
        _running.Add(sequence);
    }
}
