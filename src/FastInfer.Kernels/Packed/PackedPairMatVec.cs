using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Packed;

/// <summary>One 16-row pass of a pair kernel: the pair's sixteen row results, lanes 0–7 the low group's rows.</summary>
internal unsafe interface IPackedPairKernel
{
    System.Runtime.Intrinsics.Vector512<float> Pair(byte* low, long groupBytes);
}

/// <summary>
/// Decode over the packed layout on the AVX-512 path: the pool splits the pairs of groups (sixteen rows each); a lone
/// last group reads itself as its partner and stores only its own lanes.
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
        for (int p = firstPair; p < endPair; p++)
        {
            int group = 2 * p;
            byte* low = (byte*)View.FirstGroup + group * View.GroupBytes;
            bool hasHighGroup = group + 1 < groups;
            var lanes = Kernel.Pair(low, hasHighGroup ? View.GroupBytes : 0);
            PackedPair.Store(lanes, Y, group * PackedLayout.GroupRows - View.RowOffset, Rows, hasHighGroup);
        }
    }
}
