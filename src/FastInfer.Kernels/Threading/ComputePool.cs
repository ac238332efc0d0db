using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace FastInfer.Kernels.Threading;

/// <summary>
/// A persistent team of worker threads for the kernels. Work is split statically by output rows into
/// one contiguous share per thread (never along a reduction), so results do not depend on the thread count.
/// Workers spin briefly between calls (a token's ops follow each other within microseconds), yielding so an
/// oversubscribed machine still makes progress, and then block, so an idle model costs no CPU. The calling
/// thread does share 0 itself. A call allocates nothing: the job is a struct on the caller's stack.
/// </summary>
/// <remarks>
/// One caller at a time: a pool belongs to one model session's forward pass; a second concurrent or nested
/// call is refused with <see cref="InvalidOperationException"/>. An exception in any share is rethrown to the
/// caller (the lowest share's, with its original stack) after every share has finished.
/// </remarks>
public sealed unsafe class ComputePool : IDisposable
{
    /// <summary>How long an idle worker keeps polling for the next call before it blocks.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 1000; // 1 ms

    private readonly Thread[] _workers;
    private readonly Exception?[] _failures;
    private readonly object _gate = new();
    private int _generation;
    private int _sleepers;
    private int _remaining;
    private int _busy;
    private volatile bool _disposed;

    // The current job: a pointer to a struct on the caller's stack and the function that runs it.
    // The caller waits for every share before returning (or throwing), so the pointer stays valid throughout.
    private void* _job;
    private delegate*<void*, int, int, void> _invoke;
    private int _count;
    private int _grain;

    public ComputePool(int threadCount)
    {
        if (threadCount < 1)
            throw new ArgumentOutOfRangeException(nameof(threadCount), "a pool needs at least one thread");
        ThreadCount = threadCount;
        _failures = new Exception?[threadCount];
        _workers = new Thread[threadCount - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            int share = i + 1;
            _workers[i] = new Thread(() => WorkerLoop(share))
            {
                IsBackground = true,
                Name = $"fastinfer-worker-{share}",
            };
            _workers[i].Start();
        }
    }

    /// <summary>A pool that runs everything on the calling thread.</summary>
    public static ComputePool SingleThreaded { get; } = new(1);

    public int ThreadCount { get; }

    /// <summary>The default thread count: every core this process may use.</summary>
    public static int DefaultThreadCount => Environment.ProcessorCount;

    /// <summary>Workers currently blocked waiting for work (for tests of the idle path).</summary>
    internal int SleepingWorkers => Volatile.Read(ref _sleepers);

    /// <summary>True while any worker thread is still running (false once <see cref="Dispose"/> has joined them).</summary>
    internal bool AnyWorkerAlive => _workers.Any(w => w.IsAlive);

    /// <summary>
    /// Work (in bytes the job reads, the kernels' cost measure) below which <see cref="For{TJob}(int, ref TJob, int, long)"/>
    /// runs on the calling thread: waking the workers and waiting for the last share costs a few microseconds, about as
    /// long as streaming this much from cache on one core, so splitting smaller jobs only adds latency.
    /// </summary>
    public const long InlineWorkBytes = 64 * 1024;

    /// <summary>
    /// As <see cref="For{TJob}(int, ref TJob, int)"/>, but runs the whole range on the calling thread when
    /// <paramref name="workBytes"/> is under <see cref="InlineWorkBytes"/>. Shares are row ranges either way, so the
    /// results are the same as with any thread count.
    /// </summary>
    public void For<TJob>(int count, ref TJob job, int grain, long workBytes) where TJob : struct, IRowJob
    {
        if (workBytes >= InlineWorkBytes || ThreadCount == 1)
        {
            For(count, ref job, grain);
            return;
        }
        if (grain < 1)
            throw new ArgumentOutOfRangeException(nameof(grain), $"grain {grain} must be at least 1");
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (count > 0)
            job.Execute(0, count);
    }

    /// <summary>
    /// Runs <paramref name="job"/> over [0, count), each thread on one contiguous share whose boundaries
    /// are multiples of <paramref name="grain"/> (so vector tiles are never split between threads).
    /// </summary>
    public void For<TJob>(int count, ref TJob job, int grain = 1) where TJob : struct, IRowJob
    {
        if (grain < 1)
            throw new ArgumentOutOfRangeException(nameof(grain), $"grain {grain} must be at least 1");
        if (count <= 0)
            return;
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (ThreadCount == 1 || count <= grain)
        {
            job.Execute(0, count);
            return;
        }
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
            throw new InvalidOperationException("a compute pool runs one call at a time; it was called again before the last call returned");
        try
        {
            Dispatch(count, ref job, grain);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private void Dispatch<TJob>(int count, ref TJob job, int grain) where TJob : struct, IRowJob
    {
        _job = Unsafe.AsPointer(ref job);
        _invoke = &Invoke<TJob>;
        _count = count;
        _grain = grain;
        Volatile.Write(ref _remaining, ThreadCount - 1);
        // Full fence, paired with the worker's Interlocked increment of _sleepers: either the worker sees the
        // new generation before it waits, or we see it counted as a sleeper and pulse it.
        Interlocked.Increment(ref _generation);
        if (Volatile.Read(ref _sleepers) > 0)
        {
            lock (_gate)
                Monitor.PulseAll(_gate);
        }

        RunShare(0);

        var wait = new PollThenYield();
        while (Volatile.Read(ref _remaining) != 0)
            wait.Once();
        _job = null;
        RethrowFailure();
    }

    private void RethrowFailure()
    {
        for (int share = 0; share < _failures.Length; share++)
        {
            var failure = _failures[share];
            if (failure == null)
                continue;
            Array.Clear(_failures);
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    private static void Invoke<TJob>(void* job, int start, int end) where TJob : struct, IRowJob
        => Unsafe.AsRef<TJob>(job).Execute(start, end);

    /// <summary>Share boundaries: equal counts of grains, the remainder spread over the first shares.</summary>
    public static (int Start, int End) ShareOf(int share, int shares, int count, int grain)
    {
        int grains = (int)(((long)count + grain - 1) / grain);
        int perShare = grains / shares, extra = grains % shares;
        long firstGrain = (long)share * perShare + Math.Min(share, extra);
        int grainCount = perShare + (share < extra ? 1 : 0);
        int start = (int)Math.Min(count, firstGrain * grain);
        int end = (int)Math.Min(count, (firstGrain + grainCount) * grain);
        return (start, end);
    }

    private void RunShare(int share)
    {
        try
        {
            var (start, end) = ShareOf(share, ThreadCount, _count, _grain);
            if (start < end)
                _invoke(_job, start, end);
        }
        catch (Exception e)
        {
            _failures[share] = e;
        }
    }

    private void WorkerLoop(int share)
    {
        int seen = 0;
        while (true)
        {
            int generation = WaitForWork(seen);
            if (_disposed)
                return;
            seen = generation;
            RunShare(share);
            Interlocked.Decrement(ref _remaining);
        }
    }

    /// <summary>Polls (<see cref="PollThenYield"/>) for a new generation, and blocks once the spin budget is spent.</summary>
    private int WaitForWork(int seen)
    {
        int generation;
        long deadline = Stopwatch.GetTimestamp() + SpinTicks;
        var wait = new PollThenYield();
        while ((generation = Volatile.Read(ref _generation)) == seen && !_disposed)
        {
            if (Stopwatch.GetTimestamp() < deadline)
            {
                wait.Once();
                continue;
            }
            lock (_gate)
            {
                Interlocked.Increment(ref _sleepers);
                while (Volatile.Read(ref _generation) == seen && !_disposed)
                    Monitor.Wait(_gate);
                Interlocked.Decrement(ref _sleepers);
            }
        }
        return generation;
    }

    /// <summary>Stops and joins the workers. Must not run concurrently with <see cref="For"/>.</summary>
    public void Dispose()
    {
        if (_disposed || ReferenceEquals(this, SingleThreaded))
            return;
        _disposed = true;
        lock (_gate)
            Monitor.PulseAll(_gate);
        foreach (var worker in _workers)
            worker.Join();
    }
}
