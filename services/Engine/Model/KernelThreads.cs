using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Platform.Engine.Model;

/// <summary>
/// The threads the engine's C# kernels (<see cref="SkinnyGemm"/>, <see cref="PagedDecodeAttention"/>,
/// <see cref="Projection"/>) split their work over: the calling thread plus dedicated background threads, never
/// the .NET thread pool. An engine step holds the engine's lock while it runs the kernels, and request threads
/// (pool threads) wait on that lock to import KV or cancel; a kernel that waited for pool threads could then wait
/// for threads that wait for it, until the pool injected more, seconds later (a Decode taking three KV transfers
/// at once stopped answering its load polls that way). Process-wide, like torch's own thread count.
/// </summary>
public static class KernelThreads
{
    private static readonly ConcurrentQueue<Loop> Pending = new();
    private static readonly SemaphoreSlim Posted = new(0);
    private static readonly Lock StartLock = new();
    private static int _started;
    private static int _count = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Threads a kernel runs on, the caller's included (<c>Engine:CpuThreads</c>, else the cores).</summary>
    public static int Count => Volatile.Read(ref _count);

    /// <summary>Sets <see cref="Count"/> (the engine does, from <c>Engine:CpuThreads</c>).</summary>
    public static void Configure(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Volatile.Write(ref _count, threads);
    }

    /// <summary>
    /// Runs <paramref name="body"/> for 0..<paramref name="count"/>-1 on the caller and up to <see cref="Count"/>-1
    /// kernel threads; returns when every index ran, rethrowing the first failure. A body must not call this.
    /// </summary>
    public static void For(int count, Action<int> body)
    {
        int helpers = Math.Min(Count, count) - 1;
        if (helpers <= 0)
        {
            for (int i = 0; i < count; i++)
            {
                body(i);
            }
            return;
        }
        EnsureStarted(helpers);
        var loop = new Loop(count, body);
        for (int i = 0; i < helpers; i++)
        {
            Pending.Enqueue(loop);
        }
        Posted.Release(helpers);
        loop.Work();
        loop.Wait();
    }

    private static void EnsureStarted(int helpers)
    {
        if (Volatile.Read(ref _started) >= helpers)
        {
            return;
        }
        lock (StartLock)
        {
            for (; _started < helpers; _started++)
            {
                new Thread(Serve) { IsBackground = true, Name = $"engine-kernel-{_started + 1}" }.Start();
            }
        }
    }

    private static void Serve()
    {
        while (true)
        {
            Posted.Wait();
            if (Pending.TryDequeue(out var loop))
            {
                // A loop the caller (or other helpers) already finished has no index left: this returns at once.
                loop.Work();
            }
        }
    }

    /// <summary>One call's indices, taken one at a time by whichever thread comes next.</summary>
    private sealed class Loop(int count, Action<int> body)
    {
        private readonly ManualResetEventSlim _done = new();
        private readonly int _count = count;
        private int _next = -1;
        private int _remaining = count;
        private Exception? _error;

        public void Work()
        {
            while (true)
            {
                int i = Interlocked.Increment(ref _next);
                if (i >= _count)
                {
                    return;
                }
                try
                {
                    if (Volatile.Read(ref _error) is null)
                    {
                        body(i);
                    }
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _error, e, null);
                }
                finally
                {
                    if (Interlocked.Decrement(ref _remaining) == 0)
                    {
                        _done.Set();
                    }
                }
            }
        }

        public void Wait()
        {
            _done.Wait();
            if (_error is { } error)
            {
                ExceptionDispatchInfo.Throw(error);
            }
        }
    }
}
