using Platform.Engine.Model;

namespace Platform.Engine.Tests;

public sealed class KernelThreadsTests
{
    [Fact]
    public void Every_index_runs_once_off_the_thread_pool_even_while_every_pool_thread_waits_on_the_callers_lock()
    {
        WithThreads(4, () =>
        {
            var runs = new int[1000];
            int onPool = 0;
            // As in a Decode step: a dedicated engine thread holds the engine's lock while the kernels run, and
            // request threads (pool threads) wait on that lock.
            var gate = new Lock();
            ThreadPool.GetMinThreads(out int poolThreads, out _);
            using var blocked = new CountdownEvent(poolThreads);
            var engine = new Thread(() =>
            {
                lock (gate)
                {
                    for (int i = 0; i < poolThreads; i++)
                    {
                        ThreadPool.UnsafeQueueUserWorkItem(_ =>
                        {
                            blocked.Signal();
                            lock (gate)
                            {
                            }
                        }, null);
                    }
                    blocked.Wait(TimeSpan.FromSeconds(30));
                    KernelThreads.For(runs.Length, i =>
                    {
                        Interlocked.Increment(ref runs[i]);
                        if (Thread.CurrentThread.IsThreadPoolThread)
                        {
                            Interlocked.Increment(ref onPool);
                        }
                    });
                }
            });
            engine.Start();
            engine.Join();
            Assert.True(blocked.IsSet, "the pool threads did not start");
            Assert.All(runs, r => Assert.Equal(1, r));
            Assert.Equal(0, onPool);
        });
    }

    [Fact]
    public void A_failing_item_fails_the_call_and_the_threads_serve_the_next_one()
    {
        WithThreads(3, () =>
        {
            var error = Assert.Throws<InvalidOperationException>(() => KernelThreads.For(64, i =>
            {
                if (i == 17)
                {
                    throw new InvalidOperationException("item 17");
                }
            }));
            Assert.Equal("item 17", error.Message);

            long sum = 0;
            KernelThreads.For(100, i => Interlocked.Add(ref sum, i));
            Assert.Equal(4950, sum);
        });
    }

    [Fact]
    public void Calls_from_several_threads_at_once_each_get_all_their_items()
    {
        WithThreads(3, () =>
        {
            var sums = new long[6];
            var callers = Enumerable.Range(0, sums.Length).Select(c => new Thread(() =>
            {
                for (int round = 0; round < 50; round++)
                {
                    KernelThreads.For(37, i => Interlocked.Add(ref sums[c], i + 1));
                }
            })).ToList();
            callers.ForEach(t => t.Start());
            callers.ForEach(t => t.Join());
            Assert.All(sums, s => Assert.Equal(50L * 37 * 38 / 2, s));
        });
    }

    [Fact]
    public void A_thread_count_below_one_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelThreads.Configure(0));

    /// <summary>Runs <paramref name="test"/> with <see cref="KernelThreads.Count"/> set to <paramref name="threads"/>, then restores it.</summary>
    private static void WithThreads(int threads, Action test)
    {
        int before = KernelThreads.Count;
        KernelThreads.Configure(threads);
        try
        {
            test();
        }
        finally
        {
            KernelThreads.Configure(before);
        }
    }
}
