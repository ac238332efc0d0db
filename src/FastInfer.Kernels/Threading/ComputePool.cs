using System.Runtime.CompilerServices;

namespace FastInfer.Kernels.Threading;

/// <summary>
/// A persistent team of worker threads for the kernels. Work is split statically by output rows into
/// one contiguous share per thread (never along a reduction), so results do not depend on the thread count.
/// Workers spin briefly between calls (a token's ops follow each other within microseconds) and then
/// block, so an idle model costs no CPU. The calling thread does share 0 itself.
/// </summary>
/// <remarks>One caller at a time: a pool belongs to one model session's forward pass.</remarks>
public sealed unsafe class ComputePool : IDisposable
{
    private const int SpinIterationsBeforeBlocking = 50_000;

    private readonly Thread[] _workers;
    private readonly object _gate = new();
    private int _generation;
    private int _sleepers;
    private int _remaining;
    private bool _disposed;

    // The current job: a pointer to a struct on the caller's stack and the function that runs it.
    // The caller waits for every share before returning, so the pointer stays valid throughout.
    private void* _job;
    private delegate*<void*, int, int, void> _invoke;
    private int _count;
    private int _grain;
    private Exception? _failure;

    public ComputePool(int threadCount)
    {
        if (threadCount < 1)
            throw new ArgumentOutOfRangeException(nameof(threadCount), "a pool needs at least one thread");
        ThreadCount = threadCount;
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

    /// <summary>
    /// Runs <paramref name="job"/> over [0, count), each thread on one contiguous share whose boundaries
    /// are multiples of <paramref name="grain"/> (so vector tiles are never split between threads).
    /// </summary>
    public void For<TJob>(int count, ref TJob job, int grain = 1) where TJob : struct, IRowJob
    {
        if (count <= 0)
            return;
        ObjectDisposedException.ThrowIf(_disposed, this);
        int threads = ThreadCount;
        if (threads == 1 || count <= grain)
        {
            job.Execute(0, count);
            return;
        }

        _job = Unsafe.AsPointer(ref job);
        _invoke = &Invoke<TJob>;
        _count = count;
        _grain = grain;
        _failure = null;
        Volatile.Write(ref _remaining, threads - 1);
        Interlocked.Increment(ref _generation);
        if (Volatile.Read(ref _sleepers) > 0)
        {
            lock (_gate)
                Monitor.PulseAll(_gate);
        }

        RunShare(0);

        var spinner = new SpinWait();
        while (Volatile.Read(ref _remaining) != 0)
            spinner.SpinOnce(sleep1Threshold: -1);
        _job = null;
        if (_failure != null)
            throw new AggregateException("a kernel worker failed", _failure);
    }

    private static void Invoke<TJob>(void* job, int start, int end) where TJob : struct, IRowJob
        => Unsafe.AsRef<TJob>(job).Execute(start, end);

    /// <summary>Share boundaries: equal counts of grains, the remainder spread over the first shares.</summary>
    public static (int Start, int End) ShareOf(int share, int shares, int count, int grain)
    {
        int grains = (count + grain - 1) / grain;
        int perShare = grains / shares, extra = grains % shares;
        int firstGrain = share * perShare + Math.Min(share, extra);
        int grainCount = perShare + (share < extra ? 1 : 0);
        int start = Math.Min(count, firstGrain * grain);
        int end = Math.Min(count, (firstGrain + grainCount) * grain);
        return (start, end);
    }

    private void RunShare(int share)
    {
        var (start, end) = ShareOf(share, ThreadCount, _count, _grain);
        if (start < end)
            _invoke(_job, start, end);
    }

    private void WorkerLoop(int share)
    {
        int seen = 0;
        while (true)
        {
            int spins = 0;
            int generation;
            while ((generation = Volatile.Read(ref _generation)) == seen && !_disposed)
            {
                if (++spins < SpinIterationsBeforeBlocking)
                {
                    Thread.SpinWait(8);
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
            if (_disposed)
                return;
            seen = generation;
            try
            {
                RunShare(share);
            }
            catch (Exception e)
            {
                _failure = e;
            }
            Interlocked.Decrement(ref _remaining);
        }
    }

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
