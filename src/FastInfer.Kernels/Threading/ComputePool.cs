using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace FastInfer.Kernels.Threading;

/// <summary>
/// A persistent team of worker threads for the kernels. Work is split statically by output rows into
/// one contiguous share per thread (never along a reduction), so results do not depend on the thread count.
/// Workers spin briefly between calls (a token's ops follow each other within microseconds), yielding so an
/// oversubscribed machine still makes progress, and then block, so an idle model costs no CPU. The calling
/// thread does share 0 itself. A call allocates nothing: the job is a struct on the caller's stack.
/// <see cref="ForBalanced{TJob}(int, ref TJob, int, long)"/> instead lets the threads claim shrinking chunks of the
/// range, for jobs that stream memory and whose rows do not depend on which thread computes them.
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
    // Bumped by two per call; the low bit marks a balanced call, so a worker knows the mode from the number it woke for.
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

    // A balanced call: the claim cursor (tagged with its generation, so a worker that wakes after its call has
    // ended can claim nothing from the next one), the rows not yet computed, and the smallest chunk in grains.
    private ClaimCursor _claims;
    private int _unfinished;
    private int _minimumChunkGrains;

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
    /// Bytes a claimed chunk reads at least. Every chunk starts a new stream that the prefetchers must pick up again:
    /// on this project's machine a decode token ran about 5% faster with chunks of half, a quarter, … of the range
    /// down to 64–128 KiB than with quarters, eighths, … down to 32 KiB.
    /// </summary>
    public const long MinimumChunkBytes = 64 * 1024;

    /// <summary>
    /// As <see cref="For{TJob}(int, ref TJob, int, long)"/>, but the threads claim chunks of the range instead of taking
    /// one fixed share each: each chunk is what is left divided by the thread count (half, then a quarter, … with two
    /// threads), at least <see cref="MinimumChunkBytes"/>, and the caller waits only for the chunks, not for every worker. A
    /// worker that wakes late, or is preempted by another process, then costs the call its share of the bandwidth for
    /// that time instead of holding the call up until it has done a full share.
    /// Only for jobs whose rows do not depend on the partition (every row of a <see cref="IRowJob"/> must not) and
    /// whose <see cref="IRowJob.Execute"/> has no per-call setup worth avoiding: a thread may run several chunks.
    /// </summary>
    public void ForBalanced<TJob>(int count, ref TJob job, int grain, long workBytes) where TJob : struct, IRowJob
    {
        if (grain < 1)
            throw new ArgumentOutOfRangeException(nameof(grain), $"grain {grain} must be at least 1");
        if (workBytes < 0)
            throw new ArgumentOutOfRangeException(nameof(workBytes), $"work of {workBytes} bytes cannot be negative");
        if (count <= 0)
            return;
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (ThreadCount == 1 || count <= grain || workBytes < InlineWorkBytes)
        {
            job.Execute(0, count);
            return;
        }
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
            throw new InvalidOperationException("a compute pool runs one call at a time; it was called again before the last call returned");
        try
        {
            long grains = ((long)count + grain - 1) / grain;
            int minimumChunkGrains = (int)Math.Clamp(MinimumChunkBytes * grains / Math.Max(1, workBytes), 1, grains);
            Dispatch(count, ref job, grain, minimumChunkGrains);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
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
            Dispatch(count, ref job, grain, minimumChunkGrains: 0);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>Runs a call: in fixed shares when <paramref name="minimumChunkGrains"/> is 0, else balanced (claimed chunks).</summary>
    private void Dispatch<TJob>(int count, ref TJob job, int grain, int minimumChunkGrains) where TJob : struct, IRowJob
    {
        bool balanced = minimumChunkGrains > 0;
        int generation = ((_generation + 2) & ~1) | (balanced ? 1 : 0);
        // First, before any field of the new call: a worker still claiming for an earlier call now fails its claim.
        Volatile.Write(ref _claims.Tagged, ClaimCursor.Start(generation));
        _job = Unsafe.AsPointer(ref job);
        _invoke = &Invoke<TJob>;
        _count = count;
        _grain = grain;
        _minimumChunkGrains = minimumChunkGrains;
        _unfinished = count;
        Volatile.Write(ref _remaining, ThreadCount - 1);
        // Full fence, paired with the worker's Interlocked increment of _sleepers: either the worker sees the
        // new generation before it waits, or we see it counted as a sleeper and pulse it.
        Interlocked.Exchange(ref _generation, generation);
        if (Volatile.Read(ref _sleepers) > 0)
        {
            lock (_gate)
                Monitor.PulseAll(_gate);
        }

        var wait = new PollThenYield();
        if (balanced)
        {
            RunClaims(0, generation);
            while (Volatile.Read(ref _unfinished) != 0)
                wait.Once();
        }
        else
        {
            RunShare(0);
            while (Volatile.Read(ref _remaining) != 0)
                wait.Once();
        }
        _job = null;
        RethrowFailure();
    }

    /// <summary>Claims and runs chunks of call <paramref name="generation"/> until none is left (or that call is over).</summary>
    private void RunClaims(int share, int generation)
    {
        while (_claims.TryClaim(generation, _count, _grain, ThreadCount, _minimumChunkGrains, out int start, out int end))
        {
            try
            {
                _invoke(_job, start, end);
            }
            catch (Exception e)
            {
                _failures[share] ??= e;
            }
            Interlocked.Add(ref _unfinished, start - end);
        }
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
            // A balanced call may be over (and the next being set up) by now: its claims then fail, since the cursor
            // moves on first. A fixed-share call waits for this worker, so its fields stay put until it is done.
            if ((generation & 1) != 0)
            {
                RunClaims(share, generation);
                continue;
            }
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

/// <summary>
/// The next unclaimed index of a balanced call, in the low half, and the call's generation, in the high half, on a
/// cache line of its own (the claims are the only cross-thread writes while a call runs).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 192)]
internal struct ClaimCursor
{
    [FieldOffset(64)]
    public long Tagged;

    public static long Start(int generation) => (long)generation << 32;

    /// <summary>
    /// Claims the next chunk of [0, count): a 1/threads part of the grains left, at least
    /// <paramref name="minimumGrains"/>; false once the range is used up or <paramref name="generation"/>'s call is over.
    /// </summary>
    public bool TryClaim(int generation, int count, int grain, int threads, int minimumGrains, out int start, out int end)
    {
        while (true)
        {
            long seen = Volatile.Read(ref Tagged);
            start = (int)seen;
            end = 0;
            if ((int)(seen >> 32) != generation || start >= count)
                return false;
            long grainsLeft = ((long)count - start + grain - 1) / grain;
            long grains = Math.Max(minimumGrains, grainsLeft / threads);
            end = (int)Math.Min(count, start + grains * grain);
            if (Interlocked.CompareExchange(ref Tagged, Start(generation) | (uint)end, seen) == seen)
                return true;
        }
    }
}
