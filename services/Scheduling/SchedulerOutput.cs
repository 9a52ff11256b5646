namespace Platform.Engine.Scheduling;

/// <summary>
/// What one <see cref="Scheduler.Schedule"/> call decided. <paramref name="Preempted"/> lists the sequences
/// whose blocks were taken back this step (they are Waiting again and will be recomputed); their KV is gone.
/// </summary>
public sealed record SchedulerOutput(
    IReadOnlyList<ScheduledChunk> Chunks,
    IReadOnlyList<Sequence> Preempted,
    int NumBatchedTokens)
{
    /// <summary>No chunk to run this step (nothing waiting fits, or nothing to do).</summary>
    public bool IsEmpty => Chunks.Count == 0;
}
