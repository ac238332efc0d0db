using System.Runtime.Intrinsics;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Decode over a packed K-quant: each thread reads its run of groups front to back or, for a format that
/// <see cref="IPackedSuperBlockFormat.ReadsTwoStreams"/>, as the two streams of <see cref="TwoStreams"/>, one group of each
/// per pass; the group's eight rows in the lanes of one vector, every super-block in order (so a row's
/// float chain is the same for any thread count, pairing or row slice), asking for each super-block's lines
/// <see cref="PackedPrefetch.Distance"/> ahead in each stream as it reads them.
/// </summary>
internal unsafe struct PackedSuperBlockMatVec<TFormat, TStep> : IRowJob
    where TFormat : struct, IPackedSuperBlockFormat where TStep : struct, IPackedStep
{
    public PackedView View;
    public int Rows;
    public int SuperBlocks;
    public PackedKActivations A;
    public float* Y;

    public void Execute(int firstGroup, int endGroup)
    {
        int half = TFormat.ReadsTwoStreams ? TwoStreams.Half(firstGroup, endGroup) : 0;
        for (int i = 0; i < half; i++)
        {
            int groupA = firstGroup + i, groupB = groupA + half;
            byte* a = GroupAt(groupA), b = GroupAt(groupB);
            var accA = Vector256<float>.Zero;
            var accB = Vector256<float>.Zero;
            for (int s = 0; s < SuperBlocks; s++)
            {
                long at = (long)s * TFormat.SuperBlockBytes;
                PackedPrefetch.Ahead(a + at, TFormat.SuperBlockBytes);
                PackedPrefetch.Ahead(b + at, TFormat.SuperBlockBytes);
                accA = TFormat.Dot<TStep>(a + at, A, s, accA);
                accB = TFormat.Dot<TStep>(b + at, A, s, accB);
            }
            PackedDot.Store(accA, Y, groupA * PackedLayout.GroupRows - View.RowOffset, Rows);
            PackedDot.Store(accB, Y, groupB * PackedLayout.GroupRows - View.RowOffset, Rows);
        }
        for (int g = firstGroup + 2 * half; g < endGroup; g++)
        {
            byte* group = GroupAt(g);
            var acc = Vector256<float>.Zero;
            for (int s = 0; s < SuperBlocks; s++)
            {
                byte* superBlock = group + (long)s * TFormat.SuperBlockBytes;
                PackedPrefetch.Ahead(superBlock, TFormat.SuperBlockBytes);
                acc = TFormat.Dot<TStep>(superBlock, A, s, acc);
            }
            PackedDot.Store(acc, Y, g * PackedLayout.GroupRows - View.RowOffset, Rows);
        }
    }

    private readonly byte* GroupAt(int group) => (byte*)View.FirstGroup + group * View.GroupBytes;
}
