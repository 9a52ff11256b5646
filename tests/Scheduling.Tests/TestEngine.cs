using Platform.Engine.Scheduling;

namespace Platform.Scheduling.Tests;

/// <summary>Drives a scheduler the way the engine does, with no model: schedule, complete, append.</summary>
internal static class TestEngine
{
    public const int SampledToken = 9999;

    public static Scheduler NewScheduler(
        int numBlocks,
        int blockSize = 4,
        int maxBatchedTokens = 2048,
        int maxRunning = 256,
        bool prefixCaching = true,
        int? longPrefillThreshold = null,
        BlockHasher? hasher = null) =>
        new(
            new SchedulerOptions
            {
                BlockSize = blockSize,
                NumBlocks = numBlocks,
                MaxBatchedTokens = maxBatchedTokens,
                MaxRunningSequences = maxRunning,
                EnablePrefixCaching = prefixCaching,
                LongPrefillThreshold = longPrefillThreshold,
            },
            hasher);

    /// <summary>A sequence whose prompt is <paramref name="length"/> consecutive ids from <paramref name="first"/>.</summary>
    public static Sequence Seq(long id, int length, int first = 0, ulong salt = 0) =>
        new(id, Enumerable.Range(first, length).ToArray(), salt);

    public static Sequence Seq(long id, int[] prompt, ulong salt = 0) => new(id, prompt, salt);

    public static SchedulerOutput Step(this Scheduler scheduler)
    {
        var output = scheduler.Schedule();
        scheduler.OnStepCompleted(output);
        foreach (var chunk in output.Chunks)
        {
            if (chunk.SamplesNextToken)
            {
                chunk.Sequence.AppendToken(SampledToken);
            }
        }

        return output;
    }

    public static (long Id, int Start, int Count)[] Describe(this SchedulerOutput output) =>
        [.. output.Chunks.Select(c => (c.Sequence.Id, c.Start, c.Count))];

    public static int[] Blocks(this Sequence sequence) => [.. sequence.BlockTable];
}
