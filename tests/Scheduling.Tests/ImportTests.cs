using Platform.Engine.Scheduling;
using static Platform.Scheduling.Tests.TestEngine;

namespace Platform.Scheduling.Tests;

public sealed class ImportTests
{
    [Fact]
    public void An_importing_sequence_holds_its_blocks_but_is_neither_scheduled_nor_preempted()
    {
        var scheduler = NewScheduler(numBlocks: 6, blockSize: 4);
        var a = Seq(1, 4);
        scheduler.Add(a);
        scheduler.Step();
        var imported = Seq(2, 8, first: 50);
        Assert.True(scheduler.TryReserveForImport(imported, 8));
        Assert.Equal(SequenceStatus.Importing, imported.Status);
        Assert.Equal([1, 2], imported.Blocks());

        // a grows until the pool is short: a is preempted, never the later-arriving importing sequence.
        for (int i = 0; i < 30 && a.Status == SequenceStatus.Running; i++)
        {
            var output = scheduler.Step();
            Assert.DoesNotContain(output.Chunks, c => c.Sequence == imported);
        }
        Assert.Equal(SequenceStatus.Importing, imported.Status);
        Assert.Equal([1, 2], imported.Blocks());
        Assert.Equal(0, imported.NumPreemptions);
        Assert.Equal(1, a.NumPreemptions);
    }

    [Fact]
    public void Completing_an_import_needs_the_first_token_and_then_runs_only_that_token()
    {
        var scheduler = NewScheduler(numBlocks: 8);
        var imported = Seq(1, 6);
        Assert.True(scheduler.TryReserveForImport(imported, 6));
        Assert.Throws<InvalidOperationException>(() => scheduler.CompleteImport(imported));
        Assert.True(scheduler.Schedule().IsEmpty);

        imported.AppendToken(77);
        scheduler.CompleteImport(imported);
        Assert.Equal(SequenceStatus.Running, imported.Status);
        Assert.Equal([(1L, 6, 1)], scheduler.Step().Describe());
    }

    [Fact]
    public void An_aborted_import_returns_every_block_and_counts_against_running_slots_meanwhile()
    {
        var scheduler = NewScheduler(numBlocks: 8, maxRunning: 1);
        var imported = Seq(1, 9);
        Assert.True(scheduler.TryReserveForImport(imported, 9));
        Assert.Equal(1, scheduler.NumImporting);
        Assert.False(scheduler.TryReserveForImport(Seq(2, 3), 3));
        Assert.True(scheduler.HasUnfinishedSequences);

        scheduler.Finish(imported);
        Assert.Equal(0, scheduler.NumImporting);
        Assert.Equal(8, scheduler.KvCache.NumFreeBlocks);
        Assert.False(scheduler.HasUnfinishedSequences);
    }
}
