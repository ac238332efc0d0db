using System.Runtime.Intrinsics;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Decode over a packed K-quant: each thread walks its groups front to back, the group's eight rows in the lanes of
/// one vector, every super-block in order (so a row's float chain is the same for any thread count or row slice),
/// asking for each super-block's lines <see cref="PackedPrefetch.Distance"/> ahead as it reads it. Q4_K from DRAM, in
/// alternated runs while the read pass reached 90–97 GB/s: 74–79% of it without, 82–87% with; with the read pass at
/// 65–75 GB/s it measured worse with (73–76% against 86–99%), so this is tuned for the fast memory state.
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
        for (int g = firstGroup; g < endGroup; g++)
        {
            byte* group = (byte*)View.FirstGroup + g * View.GroupBytes;
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
}
