using System.Runtime.Intrinsics;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// One 16-row pass of a pair kernel: the sixteen row results of the group at <paramref name="low"/> (lanes 0–7) and of
/// its partner <paramref name="partnerOffset"/> bytes on (lanes 8–15; 0 reads the group as its own partner).
/// </summary>
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
