namespace Platform.Engine.Scheduling;

/// <summary>Sizes and limits of one scheduler and its KV block pool. Validated by the <see cref="Scheduler"/> constructor.</summary>
public sealed record SchedulerOptions
{
    /// <summary>Tokens per KV block.</summary>
    public int BlockSize { get; init; } = 16;

    /// <summary>Blocks in the pool (ids 0..NumBlocks-1); the model runner allocates its KV tensors to match.</summary>
    public int NumBlocks { get; init; }

    /// <summary>Token budget of one step, summed over all chunks.</summary>
    public int MaxBatchedTokens { get; init; } = 2048;

    /// <summary>Most sequences holding blocks at once (the running batch).</summary>
    public int MaxRunningSequences { get; init; } = 256;

    /// <summary>Reuse full KV blocks across sequences with the same prefix (and the same cache salt).</summary>
    public bool EnablePrefixCaching { get; init; } = true;

    /// <summary>
    /// When set, no sequence gets more than this many tokens in one step, so one long prompt cannot take the
    /// whole budget from the others (vLLM's long_prefill_token_threshold). Null: only the budget limits it.
    /// </summary>
    public int? LongPrefillThreshold { get; init; }

    internal void Validate()
    {
        Require(BlockSize > 0, nameof(BlockSize), BlockSize);
        Require(NumBlocks > 0, nameof(NumBlocks), NumBlocks);
        Require(MaxBatchedTokens > 0, nameof(MaxBatchedTokens), MaxBatchedTokens);
        Require(MaxRunningSequences > 0, nameof(MaxRunningSequences), MaxRunningSequences);
        Require(LongPrefillThreshold is null or > 0, nameof(LongPrefillThreshold), LongPrefillThreshold);
    }

    private static void Require(bool ok, string name, int? value)
    {
        if (!ok)
        {
            throw new ArgumentException(
                $"SchedulerOptions.{name} must be positive, got {value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}.",
                name);
        }
    }
}
