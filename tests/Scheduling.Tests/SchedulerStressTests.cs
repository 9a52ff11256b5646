using Platform.Engine.Scheduling;
using static Platform.Scheduling.Tests.TestEngine;

namespace Platform.Scheduling.Tests;

/// <summary>
/// Runs many sequences with shared prefixes, preemptions, imports and cancellations to completion, with a
/// fake KV cache: every computed position stores a value that depends on the salt and the whole prefix, so
/// any wrong prefix hit or overwritten block shows up as a wrong value at the next chunk.
/// </summary>
public sealed class SchedulerStressTests
{
    private const int NumBlocks = 24;
    private const int BlockSize = 4;
    private const int Budget = 16;
    private const int MaxRunning = 6;
    private const int NumSequences = 120;

    [Theory]
    [InlineData(1, "xxhash", null)]
    [InlineData(2, "xxhash", 6)]
    [InlineData(3, "coarse", null)]
    [InlineData(4, "coarse", 5)]
    [InlineData(5, "parent-blind", null)]
    [InlineData(6, "parent-blind", 7)]
    public void Many_sequences_run_to_completion_with_consistent_blocks_and_correct_kv(int seed, string hash, int? longPrefillThreshold)
    {
        var rng = new Random(seed);
        BlockHasher? hasher = hash switch
        {
            // Collides often: verification by tokens and parent is all that keeps the KV right.
            "coarse" => (_, _, tokens) => (UInt128)(uint)(tokens[^1] % 3),
            // Exact on the block's own tokens and salt, blind to the prefix before it.
            "parent-blind" => (_, salt, tokens) => (UInt128)(uint)tokens.ToArray().Aggregate((int)salt, (h, t) => (h * 7) + t),
            _ => null,
        };
        var scheduler = NewScheduler(NumBlocks, BlockSize, Budget, MaxRunning, longPrefillThreshold: longPrefillThreshold, hasher: hasher);
        var kv = new long?[NumBlocks * BlockSize];
        var prefixes = Enumerable.Range(0, 3).Select(_ => RandomTokens(rng, rng.Next(6, 13))).ToArray();
        var maxTokens = new Dictionary<Sequence, int>();
        var live = new List<Sequence>();
        var added = 0;
        var preemptions = 0;

        for (var step = 0; added < NumSequences || live.Count > 0; step++)
        {
            Assert.True(step < 20_000, "the workload did not drain");
            for (var n = rng.Next(3); n > 0 && added < NumSequences; n--, added++)
            {
                var sequence = new Sequence(added, [.. prefixes[rng.Next(3)], .. RandomTokens(rng, rng.Next(1, 11))], (ulong)rng.Next(2));
                maxTokens[sequence] = rng.Next(1, 13);
                live.Add(sequence);
                var import = rng.Next(sequence.TokenCount);
                if (rng.Next(4) != 0 || !scheduler.TryAddPrecomputed(sequence, import))
                {
                    scheduler.Add(sequence);
                }
                else
                {
                    Write(kv, sequence, 0, import);
                }
            }

            CheckBlocks(scheduler, live);
            var output = scheduler.Schedule();
            preemptions += output.Preempted.Count;
            CheckOutput(scheduler, output, longPrefillThreshold);
            CheckBlocks(scheduler, live);
            foreach (var chunk in output.Chunks)
            {
                Verify(kv, chunk.Sequence, chunk.Start);
                foreach (var blockId in chunk.Sequence.BlockTable.Skip(chunk.Start / BlockSize))
                {
                    Assert.Equal(1, scheduler.KvCache.RefCount(blockId)); // never write into a shared block
                }

                Write(kv, chunk.Sequence, chunk.Start, chunk.End);
            }

            if (rng.Next(10) == 0 && output.Chunks.Count > 0)
            {
                // Cancelled while its step ran: its chunk must be ignored on completion.
                Finish(scheduler, live, output.Chunks[rng.Next(output.Chunks.Count)].Sequence);
            }

            scheduler.OnStepCompleted(output);
            foreach (var chunk in output.Chunks.Where(chunk => chunk.SamplesNextToken && chunk.Sequence.Status == SequenceStatus.Running))
            {
                var sequence = chunk.Sequence;
                sequence.AppendToken(rng.Next(6));
                if (sequence.NumGeneratedTokens >= maxTokens[sequence] || sequence.TokenCount >= scheduler.MaxSequenceLength)
                {
                    Finish(scheduler, live, sequence);
                }
            }

            if (rng.Next(25) == 0 && live.Count > 0)
            {
                Finish(scheduler, live, live[rng.Next(live.Count)]);
            }
        }

        Assert.Equal(NumBlocks, scheduler.KvCache.NumFreeBlocks);
        Assert.Equal(Enumerable.Range(0, NumBlocks), scheduler.KvCache.FreeQueueIds().Order());
        Assert.Equal(0, scheduler.NumRunning + scheduler.NumWaiting);
        Assert.True(preemptions > 0, "the workload should have preempted");
        if (hash != "coarse")
        {
            Assert.True(scheduler.KvCache.PrefixCacheHits > 0, "the workload should have hit the prefix cache");
        }
    }

    private static int[] RandomTokens(Random rng, int count) => [.. Enumerable.Range(0, count).Select(_ => rng.Next(6))];

    private static void Finish(Scheduler scheduler, List<Sequence> live, Sequence sequence)
    {
        scheduler.Finish(sequence);
        live.Remove(sequence);
    }

    /// <summary>The fake KV of a position: a function of the salt and every token up to it.</summary>
    private static long[] ExpectedKv(Sequence sequence)
    {
        var values = new long[sequence.TokenCount];
        var h = (long)sequence.CacheSalt + 17;
        for (var p = 0; p < values.Length; p++)
        {
            h = unchecked((h * 1_000_003) + sequence.TokenIds[p] + 1);
            values[p] = h;
        }

        return values;
    }

    private static int Slot(Sequence sequence, int position) =>
        (sequence.BlockTable[position / BlockSize] * BlockSize) + (position % BlockSize);

    private static void Write(long?[] kv, Sequence sequence, int start, int end)
    {
        var expected = ExpectedKv(sequence);
        for (var p = start; p < end; p++)
        {
            kv[Slot(sequence, p)] = expected[p];
        }
    }

    private static void Verify(long?[] kv, Sequence sequence, int computed)
    {
        var expected = ExpectedKv(sequence);
        for (var p = 0; p < computed; p++)
        {
            Assert.True(kv[Slot(sequence, p)] == expected[p], $"{sequence}: wrong KV at position {p}");
        }
    }

    private static void CheckOutput(Scheduler scheduler, SchedulerOutput output, int? threshold)
    {
        Assert.Equal(output.Chunks.Sum(chunk => chunk.Count), output.NumBatchedTokens);
        Assert.InRange(output.NumBatchedTokens, 0, Budget);
        Assert.Equal(output.Chunks.Count, output.Chunks.Select(chunk => chunk.Sequence).Distinct().Count());
        foreach (var chunk in output.Chunks)
        {
            Assert.Equal(SequenceStatus.Running, chunk.Sequence.Status);
            Assert.Equal(chunk.Sequence.NumComputedTokens, chunk.Start);
            Assert.InRange(chunk.Count, 1, threshold ?? Budget);
            Assert.InRange(chunk.End, 1, chunk.Sequence.TokenCount);
            Assert.Equal(scheduler.KvCache.BlocksFor(chunk.End), chunk.Sequence.BlockTable.Count);
        }

        foreach (var sequence in output.Preempted)
        {
            Assert.Equal(SequenceStatus.Waiting, sequence.Status);
            Assert.DoesNotContain(output.Chunks, chunk => chunk.Sequence == sequence);
        }
    }

    private static void CheckBlocks(Scheduler scheduler, List<Sequence> live)
    {
        var kvCache = scheduler.KvCache;
        var holders = new int[NumBlocks];
        Assert.InRange(scheduler.NumRunning, 0, MaxRunning);
        Assert.Equal(live.Count, scheduler.NumRunning + scheduler.NumWaiting);
        foreach (var sequence in scheduler.Waiting)
        {
            Assert.Equal(SequenceStatus.Waiting, sequence.Status);
            Assert.Empty(sequence.BlockTable);
        }

        foreach (var sequence in scheduler.Running)
        {
            Assert.Equal(SequenceStatus.Running, sequence.Status);
            Assert.Equal(sequence.BlockTable.Count, sequence.BlockTable.Distinct().Count());
            Assert.True(sequence.BlockTable.Count >= kvCache.BlocksFor(sequence.NumComputedTokens));
            foreach (var blockId in sequence.BlockTable)
            {
                holders[blockId]++;
            }
        }

        var free = kvCache.FreeQueueIds();
        Assert.Equal(free.Count, free.Distinct().Count());
        Assert.Equal(free.Count, kvCache.NumFreeBlocks);
        for (var blockId = 0; blockId < NumBlocks; blockId++)
        {
            Assert.Equal(holders[blockId], kvCache.RefCount(blockId));
            Assert.Equal(holders[blockId] == 0, kvCache.IsFree(blockId));
        }
    }
}
