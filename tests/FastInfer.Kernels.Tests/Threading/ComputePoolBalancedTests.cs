using System.Collections.Concurrent;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Tests.Threading;

public unsafe class ComputePoolBalancedTests
{
    /// <summary>Work large enough that a balanced call is split between the threads.</summary>
    private const long SplitWork = 1L << 24;

    /// <summary>Adds its call number to every row it is given and counts its chunks.</summary>
    private struct CountingJob : IRowJob
    {
        public long* Rows;
        public long Call;
        public int* Chunks;

        public readonly void Execute(int start, int end)
        {
            for (int r = start; r < end; r++)
                Rows[r] += Call;
            if (Chunks != null)
                Interlocked.Increment(ref *Chunks);
        }
    }

    /// <summary>Records every chunk it runs and the thread that ran it.</summary>
    private struct RecordingJob : IRowJob
    {
        public nint Log;

        public readonly void Execute(int start, int end)
        {
            var log = (ConcurrentBag<(int Start, int End, int Thread)>)System.Runtime.InteropServices.GCHandle.FromIntPtr(Log).Target!;
            log.Add((start, end, Environment.CurrentManagedThreadId));
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Balanced_calls_mixed_with_fixed_share_calls_cover_every_row_exactly_once(int threads)
    {
        // Alternating modes is where a worker that woke late for a balanced call could run into the next call.
        const int calls = 40_000;
        using var pool = new ComputePool(threads);
        var rows = new long[97];
        int chunks = 0;
        fixed (long* p = rows)
        {
            for (int call = 1; call <= calls; call++)
            {
                var job = new CountingJob { Rows = p, Call = call, Chunks = &chunks };
                int count = 1 + call % rows.Length;
                if (call % 3 == 0)
                    pool.For(count, ref job);
                else
                    pool.ForBalanced(count, ref job, 1 + call % 4, SplitWork);
            }
        }
        for (int r = 0; r < rows.Length; r++)
        {
            long expected = 0;
            for (int call = 1; call <= calls; call++)
                if (r < 1 + call % rows.Length) expected += call;
            Assert.Equal(expected, rows[r]);
        }
        Assert.True(chunks > 2 * calls, $"only {chunks} chunks in {calls} calls: the balanced calls were not split");
    }

    [Theory]
    [InlineData(1000, 1, 2)]
    [InlineData(11008, 16, 3)]
    [InlineData(353, 4, 2)]
    public void Chunks_tile_the_range_in_whole_grains(int count, int grain, int threads)
    {
        using var pool = new ComputePool(threads);
        var log = new ConcurrentBag<(int Start, int End, int Thread)>();
        var handle = System.Runtime.InteropServices.GCHandle.Alloc(log);
        try
        {
            var job = new RecordingJob { Log = System.Runtime.InteropServices.GCHandle.ToIntPtr(handle) };
            pool.ForBalanced(count, ref job, grain, SplitWork);
        }
        finally
        {
            handle.Free();
        }
        var chunks = log.OrderBy(c => c.Start).ToArray();
        Assert.True(chunks.Length > threads, $"{chunks.Length} chunks for {threads} threads");
        int next = 0;
        foreach (var (start, end, _) in chunks)
        {
            Assert.Equal(next, start);
            Assert.True(end > start);
            Assert.True(start % grain == 0);
            next = end;
        }
        Assert.Equal(count, next);
    }

    [Fact]
    public void Work_under_the_inline_threshold_runs_on_the_calling_thread_in_one_chunk()
    {
        using var pool = new ComputePool(2);
        var log = new ConcurrentBag<(int Start, int End, int Thread)>();
        var handle = System.Runtime.InteropServices.GCHandle.Alloc(log);
        try
        {
            var job = new RecordingJob { Log = System.Runtime.InteropServices.GCHandle.ToIntPtr(handle) };
            pool.ForBalanced(1000, ref job, 1, ComputePool.InlineWorkBytes - 1);
        }
        finally
        {
            handle.Free();
        }
        Assert.Equal([(0, 1000, Environment.CurrentManagedThreadId)], log.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(999)]
    public void An_exception_in_any_chunk_reaches_the_caller_and_the_pool_stays_usable(int throwAtRow)
    {
        using var pool = new ComputePool(2);
        var failing = new ComputePoolTests.ThrowingJob { ThrowAtRow = throwAtRow };
        var e = Assert.Throws<InvalidOperationException>(() => pool.ForBalanced(1000, ref failing, 1, SplitWork));
        Assert.Equal($"row {throwAtRow}", e.Message);
        var rows = new long[1000];
        fixed (long* p = rows)
        {
            var job = new CountingJob { Rows = p, Call = 1 };
            pool.ForBalanced(rows.Length, ref job, 1, SplitWork);
            pool.For(rows.Length, ref job);
        }
        Assert.All(rows, r => Assert.Equal(2, r));
    }

    [Fact]
    public void Claims_shrink_to_the_minimum_and_stop_at_the_end_of_the_range()
    {
        var cursor = new ClaimCursor { Tagged = ClaimCursor.Start(7) };
        var sizes = new List<int>();
        int next = 0;
        while (cursor.TryClaim(7, count: 1000, grain: 4, threads: 2, minimumGrains: 3, out int start, out int end))
        {
            Assert.Equal(next, start);
            sizes.Add(end - start);
            next = end;
        }
        Assert.Equal(1000, next);
        Assert.Equal(1000 / 4 / 2 * 4, sizes[0]);
        for (int i = 1; i < sizes.Count; i++)
            Assert.True(sizes[i] <= sizes[i - 1], $"chunk {i} grew: {string.Join(",", sizes)}");
        Assert.All(sizes.SkipLast(1), size => Assert.True(size >= 12));
    }

    [Fact]
    public void A_claim_for_an_earlier_call_fails()
    {
        var cursor = new ClaimCursor { Tagged = ClaimCursor.Start(9) };
        Assert.False(cursor.TryClaim(7, count: 100, grain: 1, threads: 2, minimumGrains: 1, out _, out _));
        Assert.True(cursor.TryClaim(9, count: 100, grain: 1, threads: 2, minimumGrains: 1, out int start, out _));
        Assert.Equal(0, start);
    }

    [Fact]
    public void Rejects_bad_arguments()
    {
        using var pool = new ComputePool(2);
        var job = new CountingJob();
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.ForBalanced(3, ref job, 0, SplitWork));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.ForBalanced(3, ref job, 1, -1));
    }
}
