using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Tests.Threading;

/// <summary>Small jobs skip the workers: they run on the calling thread, over the same rows.</summary>
public unsafe class ComputePoolInlineTests
{
    /// <summary>Records which managed thread computed each row.</summary>
    private struct ThreadRecordingJob : IRowJob
    {
        public int* Threads;

        public readonly void Execute(int start, int end)
        {
            for (int r = start; r < end; r++)
                Threads[r] = Environment.CurrentManagedThreadId;
        }
    }

    private static int[] RunRecording(ComputePool pool, int rows, long workBytes)
    {
        var threads = new int[rows];
        fixed (int* p = threads)
        {
            var job = new ThreadRecordingJob { Threads = p };
            pool.For(rows, ref job, 16, workBytes);
        }
        return threads;
    }

    [Fact]
    public void Work_below_the_threshold_runs_every_row_on_the_caller()
    {
        using var pool = new ComputePool(2);
        var threads = RunRecording(pool, 64, ComputePool.InlineWorkBytes - 1);
        Assert.All(threads, id => Assert.Equal(Environment.CurrentManagedThreadId, id));
    }

    [Fact]
    public void Work_at_the_threshold_is_shared_with_the_workers()
    {
        using var pool = new ComputePool(2);
        var threads = RunRecording(pool, 64, ComputePool.InlineWorkBytes);
        Assert.All(threads, id => Assert.NotEqual(0, id));
        Assert.Equal(2, threads.Distinct().Count());
        Assert.All(threads[..32], id => Assert.Equal(Environment.CurrentManagedThreadId, id));
    }

    [Fact]
    public void Inline_calls_check_their_arguments_and_the_pool_state()
    {
        var pool = new ComputePool(2);
        var job = new ThreadRecordingJob();
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.For(4, ref job, 0, 1));
        pool.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pool.For(4, ref job, 1, 1));
    }

    [Fact]
    public void An_empty_range_runs_nothing()
    {
        using var pool = new ComputePool(2);
        var job = new ThreadRecordingJob(); // a null pointer: touching any row would crash
        pool.For(0, ref job, 1, 1);
    }
}
