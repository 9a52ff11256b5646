namespace Platform.Engine.Scheduling;

/// <summary>
/// Continuous batching with a token budget (vLLM v1's scheduler). Every step, running sequences get their
/// next tokens first, in arrival order, preempting the latest arrival by recompute when blocks run out; then
/// waiting sequences are admitted first-come first-served. A sequence needs
/// <c>TokenCount - NumComputedTokens</c> tokens, so prefill, chunked prefill, decode, prefix hits and
/// imported KV are one code path. Not thread-safe: every call comes from the engine loop.
/// </summary>
public sealed partial class Scheduler
{
    private readonly SortedSet<Sequence> _waiting = new(ArrivalOrderComparer.Instance);
    private readonly SortedSet<Sequence> _running = new(ArrivalOrderComparer.Instance);
    private long _nextArrivalOrder;

    public Scheduler(SchedulerOptions options)
        : this(options, hasher: null)
    {
    }

    internal Scheduler(SchedulerOptions options, BlockHasher? hasher)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        KvCache = new KvCacheManager(options.NumBlocks, options.BlockSize, options.EnablePrefixCaching, hasher);
    }

    public SchedulerOptions Options { get; }

    public KvCacheManager KvCache { get; }

    public int NumWaiting => _waiting.Count;

    public int NumRunning => _running.Count;

    /// <summary>True while any sequence is waiting or running: the engine loop has work.</summary>
    public bool HasUnfinishedSequences => _waiting.Count + _running.Count + _importing.Count > 0;

    /// <summary>
    /// The most tokens one sequence may have: the whole pool. Add rejects longer prompts, and the engine
    /// must finish a sequence once its TokenCount reaches this (as it does at max_model_len).
    /// </summary>
    public int MaxSequenceLength => Options.NumBlocks * Options.BlockSize;

    /// <summary>Running sequences in arrival order.</summary>
    public IReadOnlyCollection<Sequence> Running => _running;

    /// <summary>Waiting sequences in admission order (arrival order; preempted ones keep theirs).</summary>
    public IReadOnlyCollection<Sequence> Waiting => _waiting;

    /// <summary>Queues a new sequence as Waiting.</summary>
    public void Add(Sequence sequence)
    {
        Accept(sequence);
        _waiting.Add(sequence);
    }

    /// <summary>
    /// Admits a sequence whose KV for the first <paramref name="numComputedTokens"/> tokens was computed
    /// elsewhere and will be imported into its blocks: allocates those blocks now and marks it Running, so
    /// the next step computes the rest (at least its last token). Returns false, holding nothing and leaving
    /// the sequence unadded, when the pool lacks the blocks or the running batch is full.
    /// </summary>
    public bool TryAddPrecomputed(Sequence sequence, int numComputedTokens)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        if (numComputedTokens >= sequence.TokenCount)
        {
            throw new ArgumentOutOfRangeException(
                nameof(numComputedTokens),
                $"{sequence} would have nothing left to compute; import at most TokenCount - 1 = {sequence.TokenCount - 1} tokens so a step yields logits.");
        }

        if (!TryReserveForImport(sequence, numComputedTokens))
        {
            return false;
        }

        CompleteImport(sequence);
        return true;
    }

    /// <summary>Finished or cancelled, from any state: leaves the queues and frees its blocks at once.
    /// Finishing twice, or finishing a sequence never added, is allowed and holds nothing.</summary>
    public void Finish(Sequence sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        if (sequence.Status == SequenceStatus.Finished)
        {
            return;
        }

        if (sequence.Owner is not null && sequence.Owner != this)
        {
            throw new InvalidOperationException($"{sequence} was not added to this scheduler.");
        }

        _waiting.Remove(sequence);
        _running.Remove(sequence);
        _importing.Remove(sequence);
        KvCache.Free(sequence);
        sequence.Status = SequenceStatus.Finished;
    }

    /// <summary>
    /// Decides the next step: chunks for running sequences in arrival order, then admissions from the
    /// waiting queue. Blocks for every chunk are allocated here, before the step runs.
    /// </summary>
    public SchedulerOutput Schedule()
    {
        foreach (var sequence in _running)
        {
            if (sequence.TokenCount > MaxSequenceLength)
            {
                throw new InvalidOperationException(
                    $"{sequence} outgrew the KV cache ({MaxSequenceLength} tokens); the engine must finish a sequence when its TokenCount reaches Scheduler.MaxSequenceLength.");
            }
        }

        var chunks = new List<ScheduledChunk>();
        var preempted = new List<Sequence>();
        var budget = Options.MaxBatchedTokens;
        ScheduleRunning(chunks, preempted, ref budget);

        // As vLLM does, a step that had to preempt admits nobody: the blocks are short, and the victim, now
        // first in the queue, would be readmitted at once and thrash.
        if (preempted.Count == 0)
        {
            AdmitWaiting(chunks, ref budget);
        }

        return new SchedulerOutput(chunks, preempted, Options.MaxBatchedTokens - budget);
    }

    /// <summary>Advances each chunk's sequence by its computed tokens and caches the blocks it filled.
    /// Chunks of sequences finished since Schedule are skipped.</summary>
    public void OnStepCompleted(SchedulerOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        foreach (var chunk in output.Chunks)
        {
            var sequence = chunk.Sequence;
            if (sequence.Status != SequenceStatus.Running)
            {
                continue;
            }

            if (sequence.NumComputedTokens != chunk.Start || chunk.End > sequence.BlockTable.Count * Options.BlockSize)
            {
                throw new InvalidOperationException(
                    $"{sequence} does not match the completed chunk [{chunk.Start}, {chunk.End}); each Schedule must be followed by its own OnStepCompleted.");
            }

            sequence.NumComputedTokens = chunk.End;
            KvCache.CacheFullBlocks(sequence);
        }
    }

    private void ScheduleRunning(List<ScheduledChunk> chunks, List<Sequence> preempted, ref int budget)
    {
        // A snapshot, because preemption removes sequences from the set; a victim is always the latest
        // arrival, so it is never one already given a chunk this step.
        foreach (var sequence in _running.ToArray())
        {
            if (budget == 0)
            {
                return;
            }

            if (sequence.Status != SequenceStatus.Running)
            {
                continue;
            }

            var count = ChunkSize(sequence.TokenCount - sequence.NumComputedTokens, budget);
            if (count == 0)
            {
                continue;
            }

            while (!KvCache.TryAllocate(sequence, sequence.NumComputedTokens + count, []))
            {
                var victim = _running.Max!;
                Preempt(victim);
                preempted.Add(victim);
                if (victim == sequence)
                {
                    return;
                }
            }

            chunks.Add(new ScheduledChunk(sequence, sequence.NumComputedTokens, count));
            budget -= count;
        }
    }

    private void AdmitWaiting(List<ScheduledChunk> chunks, ref int budget)
    {
        while (budget > 0 && _running.Count + _importing.Count < Options.MaxRunningSequences && _waiting.Count > 0)
        {
            var sequence = _waiting.Min!;
            var hits = KvCache.FindCachedPrefix(sequence);
            var hitTokens = hits.Count * Options.BlockSize;
            var count = ChunkSize(sequence.TokenCount - hitTokens, budget);

            // Strict FCFS: when the head does not fit, later (smaller) sequences wait too, or they could
            // keep overtaking it and starve it.
            if (!KvCache.TryAllocate(sequence, hitTokens + count, hits))
            {
                return;
            }

            _waiting.Remove(sequence);
            sequence.Status = SequenceStatus.Running;
            sequence.NumComputedTokens = hitTokens;
            if (sequence.NumPreemptions == 0)
            {
                sequence.NumCachedPromptTokens = Math.Min(hitTokens, sequence.PromptLength);
            }

            if (KvCache.PrefixCachingEnabled)
            {
                KvCache.RecordPrefixLookup(sequence.TokenCount, hitTokens);
            }

            _running.Add(sequence);
            chunks.Add(new ScheduledChunk(sequence, hitTokens, count));
            budget -= count;
        }
    }

    /// <summary>Preemption by recompute: the KV is dropped and the sequence queues again under its original
    /// arrival order, ahead of everything that arrived after it.</summary>
    private void Preempt(Sequence sequence)
    {
        _running.Remove(sequence);
        KvCache.Free(sequence);
        sequence.NumComputedTokens = 0;
        sequence.Status = SequenceStatus.Waiting;
        sequence.NumPreemptions++;
        _waiting.Add(sequence);
    }

    private int ChunkSize(int remaining, int budget) =>
        Math.Min(Math.Min(remaining, budget), Options.LongPrefillThreshold ?? int.MaxValue);

    private void ValidateNew(Sequence sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        if (sequence.Owner is not null || sequence.Status != SequenceStatus.Waiting)
        {
            throw new InvalidOperationException($"{sequence} was already added to a scheduler, or finished.");
        }

        if (sequence.TokenCount > MaxSequenceLength)
        {
            throw new ArgumentException(
                $"Sequence {sequence.Id} has {sequence.TokenCount} tokens but the KV cache holds at most {MaxSequenceLength} per sequence ({Options.NumBlocks} blocks of {Options.BlockSize}); it could never be scheduled.",
                nameof(sequence));
        }
    }

    private void Accept(Sequence sequence)
    {
        ValidateNew(sequence);
        sequence.Owner = this;
        sequence.ArrivalOrder = _nextArrivalOrder++;
    }
}
