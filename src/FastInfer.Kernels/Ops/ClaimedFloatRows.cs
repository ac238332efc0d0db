using System.Runtime.CompilerServices;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Ops;

/// <summary>
/// The float matrix-vector job (<see cref="FloatRowGroups"/>) with its rows claimed in blocks instead of handed out
/// as fixed shares. Each thread starts on its own contiguous share, as with static partitioning, taking blocks of
/// <see cref="BlockRows"/> rows off the front; when its share is done it takes blocks off the front of the shares
/// still running. Two cores do not stream memory equally fast here, so with fixed shares the faster one waited at the
/// end of every product: in a tinyllama-shaped F32 decode loop, claimed blocks ran 1.12× faster than fixed shares.
/// Every row is still computed by the same code whichever thread takes it, so results do not depend on the thread
/// count or on who claimed what.
/// </summary>
internal unsafe struct ClaimedFloatRows<T> : IRowJob where T : struct, IFloatBlock
{
    /// <summary>Rows per claim: a multiple of every row-group size, and about 128 KiB of F32 weights at 2048 columns.</summary>
    public const int BlockRows = 16;

    /// <summary>Shares with their own counter; a pool with more threads leaves the rest idle for float products.</summary>
    public const int MaxShares = 64;

    public WeightMatrix W;
    public float* X;
    public float* Y;
    public IsaPath Path;
    public int Shares;
    private ShareCounters _claimed; // per share: rows taken so far, one cache line each

    /// <summary>y = W·x on <paramref name="pool"/>.</summary>
    public static void Run(in WeightMatrix w, float* x, float* y, ComputePool pool, IsaPath path)
    {
        var job = new ClaimedFloatRows<T> { W = w, X = x, Y = y, Path = path, Shares = Math.Min(pool.ThreadCount, MaxShares) };
        pool.For(job.Shares, ref job, 1, w.ByteLength);
    }

    public void Execute(int start, int end)
    {
        for (int share = start; share < end; share++)
        {
            for (int k = 0; k < Shares; k++)
                Drain((share + k) % Shares);
        }
    }

    private void Drain(int share)
    {
        var (first, last) = ComputePool.ShareOf(share, Shares, W.Rows, BlockRows);
        ref long claimed = ref _claimed[share * ShareCounters.Stride];
        while (true)
        {
            long from = first + Interlocked.Add(ref claimed, BlockRows) - BlockRows;
            if (from >= last)
                return;
            FloatRowGroups.Rows<T>((byte*)W.Data, W.RowBytes, (int)from, (int)Math.Min(from + BlockRows, last), X, W.Columns, Y, Path);
        }
    }

    [InlineArray(MaxShares * Stride)]
    private struct ShareCounters
    {
        public const int Stride = 8; // longs per 64-byte line, so two shares' counters never share a line
        private long _element;
    }
}
