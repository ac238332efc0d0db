using System.Runtime.Intrinsics;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// One 16-row pass of a pair kernel: the sixteen row results of the group at <paramref name="low"/> (lanes 0–7) and of
/// its partner <paramref name="partnerOffset"/> bytes on (lanes 8–15; 0 reads the group as its own partner).
/// </summary>
/// <remarks>
/// Implementations mark <see cref="Pair"/> <c>NoInlining | AggressiveOptimization</c>, a call of its own per 16 rows,
/// fully optimized from the first call. Inlined into the pool's Tier1 <c>Invoke&lt;TJob&gt;</c> together with
/// <see cref="PackedPairMatVec{TKernel}.Execute"/>, the Q4_K kernel overran the JIT's inlining budget and its helpers
/// stayed calls passing eight vectors through memory; tinyllama Q4_K_M then decoded 34.8–39.4 tok/s against 42.9–48.9
/// without the kernel, and 46.1–47.3 once it was its own method (`fastinfer generate`, builds alternated). The Q4_0 and
/// Q8_0 kernels, given the same attributes, decoded tinyllama at 70.7–81.0 tok/s against 61.1–68.1 (Q4_0) and
/// 39.7–43.2 against 39.0–40.8 (Q8_0) in the same kind of runs (likely because their first tokens no longer run Tier0
/// code).
/// </remarks>
internal unsafe interface IPackedPairKernel
{
    Vector512<float> Pair(byte* low, long partnerOffset);
}

/// <summary>
/// Decode over the packed layout on the AVX-512 path: the pool hands out runs of pairs (sixteen rows each), and each run's
/// groups are read as the two streams of <see cref="TwoStreams"/>, group i's partner being group i + half. A lone last
/// group reads itself as its partner and stores only its own lanes. Each lane is one row's exact sum and float chain, so
/// the pairing changes no bits.
/// </summary>
internal unsafe struct PackedPairMatVec<TKernel> : IRowJob where TKernel : struct, IPackedPairKernel
{
    public PackedView View;
    public int Rows;
    public TKernel Kernel;
    public float* Y;

    /// <summary>Pairs of groups a view of <paramref name="rows"/> rows needs (the last may hold one group).</summary>
    public static int PairCount(PackedView view, int rows) => (view.GroupCount(rows) + 1) / 2;

    public void Execute(int firstPair, int endPair)
    {
        int groups = View.GroupCount(Rows);
        int first = 2 * firstPair, end = Math.Min(2 * endPair, groups);
        int half = TwoStreams.Half(first, end);
        long distance = half * View.GroupBytes;
        for (int i = 0; i < half; i++)
        {
            int groupA = first + i;
            var lanes = Kernel.Pair((byte*)View.FirstGroup + groupA * View.GroupBytes, distance);
            PackedDot.Store(lanes.GetLower(), Y, groupA * PackedLayout.GroupRows - View.RowOffset, Rows);
            PackedDot.Store(lanes.GetUpper(), Y, (groupA + half) * PackedLayout.GroupRows - View.RowOffset, Rows);
        }
        if ((end - first) % 2 != 0)
        {
            int last = end - 1;
            var lanes = Kernel.Pair((byte*)View.FirstGroup + last * View.GroupBytes, 0);
            PackedDot.Store(lanes.GetLower(), Y, last * PackedLayout.GroupRows - View.RowOffset, Rows);
        }
    }
}
