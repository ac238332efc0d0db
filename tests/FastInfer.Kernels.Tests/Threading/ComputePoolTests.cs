using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Tests.Threading;

public unsafe class ComputePoolTests
{
    /// <summary>Adds its call number to every row it is given; each row must end up with the sum of all calls.</summary>
    private struct CountingJob : IRowJob
    {
        public long* Rows;
        public long Call;

        public void Execute(int start, int end)
        {
            for (int r = start; r < end; r++)
                Rows[r] += Call;
        }
    }

    internal struct ThrowingJob : IRowJob
    {
        public int ThrowAtRow;

        public readonly void Execute(int start, int end)
        {
            if (start <= ThrowAtRow && ThrowAtRow < end)
                throw new InvalidOperationException($"row {ThrowAtRow}");
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Hundred_thousand_tiny_calls_cover_every_row_exactly_once(int threads)
    {
        const int calls = 100_000;
        using var pool = new ComputePool(threads);
        var rows = new long[7];
        fixed (long* p = rows)
        {
            for (int call = 1; call <= calls; call++)
            {
                var job = new CountingJob { Rows = p, Call = call };
                pool.For(1 + call % rows.Length, ref job);
            }
        }
        for (int r = 0; r < rows.Length; r++)
        {
            long expected = 0;
            for (int call = 1; call <= calls; call++)
                if (r < 1 + call % rows.Length) expected += call;
            Assert.Equal(expected, rows[r]);
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void An_idle_pool_whose_workers_blocked_wakes_for_the_next_call(int threads)
    {
        using var pool = new ComputePool(threads);
        var rows = new long[10];
        fixed (long* p = rows)
        {
            for (int round = 1; round <= 3; round++)
            {
                var deadline = DateTime.UtcNow.AddSeconds(30);
                while (pool.SleepingWorkers < threads - 1)
                {
                    Assert.True(DateTime.UtcNow < deadline, "workers never blocked");
                    Thread.Sleep(5);
                }
                var job = new CountingJob { Rows = p, Call = round };
                pool.For(rows.Length, ref job);
            }
        }
        Assert.All(rows, r => Assert.Equal(6, r));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    public void An_exception_in_any_share_reaches_the_caller_and_the_pool_stays_usable(int throwAtRow)
    {
        using var pool = new ComputePool(2);
        var failing = new ThrowingJob { ThrowAtRow = throwAtRow };
        var e = Assert.Throws<InvalidOperationException>(() => pool.For(10, ref failing));
        Assert.Equal($"row {throwAtRow}", e.Message);
        var rows = new long[10];
        fixed (long* p = rows)
        {
            var job = new CountingJob { Rows = p, Call = 1 };
            pool.For(rows.Length, ref job);
        }
        Assert.All(rows, r => Assert.Equal(1, r));
    }

    [Fact]
    public void Dispose_joins_the_workers_and_later_calls_are_refused()
    {
        var pool = new ComputePool(3);
        Assert.True(pool.AnyWorkerAlive);
        pool.Dispose();
        Assert.False(pool.AnyWorkerAlive);
        pool.Dispose();
        var job = new CountingJob();
        Assert.Throws<ObjectDisposedException>(() => pool.For(10, ref job));
    }

    private struct NestedJob : IRowJob
    {
        public nint Pool;
        public int Refused;

        public void Execute(int start, int end)
        {
            var pool = (ComputePool)System.Runtime.InteropServices.GCHandle.FromIntPtr(Pool).Target!;
            var inner = new CountingJob();
            try
            {
                pool.For(100, ref inner);
            }
            catch (InvalidOperationException)
            {
                Interlocked.Increment(ref Refused);
            }
        }
    }

    [Fact]
    public void A_nested_call_is_refused_instead_of_corrupting_the_running_one()
    {
        using var pool = new ComputePool(2);
        var handle = System.Runtime.InteropServices.GCHandle.Alloc(pool);
        try
        {
            var job = new NestedJob { Pool = System.Runtime.InteropServices.GCHandle.ToIntPtr(handle) };
            pool.For(2, ref job);
            Assert.Equal(2, job.Refused);
        }
        finally
        {
            handle.Free();
        }
    }

    [Theory]
    [InlineData(10, 1, 3)]
    [InlineData(100, 16, 2)]
    [InlineData(5, 1, 8)]
    [InlineData(11008, 16, 3)]
    public void Shares_tile_the_range_in_whole_grains(int count, int grain, int shares)
    {
        int next = 0;
        for (int s = 0; s < shares; s++)
        {
            var (start, end) = ComputePool.ShareOf(s, shares, count, grain);
            Assert.Equal(next, start);
            Assert.True(end >= start);
            Assert.True(start % grain == 0 || start == count);
            next = end;
        }
        Assert.Equal(count, next);
    }

    [Fact]
    public void Rejects_bad_arguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ComputePool(0));
        var job = new CountingJob();
        Assert.Throws<ArgumentOutOfRangeException>(() => ComputePool.SingleThreaded.For(3, ref job, grain: 0));
    }
}
