namespace Platform.Engine.Scheduling;

/// <summary>Where a <see cref="Sequence"/> is in its life. There is deliberately no prefill/decode state:
/// what a sequence still needs is <c>TokenCount - NumComputedTokens</c>.</summary>
public enum SequenceStatus
{
    /// <summary>Queued for admission (new, or preempted and waiting to be recomputed). Holds no blocks.</summary>
    Waiting,

    /// <summary>Admitted: holds KV blocks and is scheduled every step while it has tokens to compute.</summary>
    Running,

    /// <summary>Holds blocks for KV computed elsewhere that is still being written; not scheduled, never preempted.</summary>
    Importing,

    /// <summary>Finished or cancelled; its blocks are back in the pool.</summary>
    Finished,
}
