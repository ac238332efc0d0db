using System.Runtime.Intrinsics;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Decode over the packed layout: the pool splits the groups (eight rows each); each group is read once, front to
/// back, accumulating its eight rows in the lanes of one vector — <see cref="PackedDot.Block"/> for every block in
/// order, as <see cref="PackedDot.Group"/> does, so the bits are prefill's — with each chunk's lines asked for
/// <see cref="PackedPrefetch.Distance"/> ahead.
/// </summary>
internal unsafe struct PackedMatVec<TFormat, TStep> : IRowJob
    where TFormat : struct, IPackedFormat where TStep : struct, IPackedStep
{
    public PackedView View;
    public int Rows;
    public int Blocks;
    public PackedActivations A;
    public float* Y;

    public void Execute(int firstGroup, int endGroup)
    {
        byte* quants = A.Quants(0);
        float* scales = A.Scales(0);
        int* corrections = A.Corrections(0);
        int chunkBytes = (int)PackedLayout.ChunkBytes(TFormat.QuantBytesPerBlock);
        for (int g = firstGroup; g < endGroup; g++)
        {
            byte* group = (byte*)View.FirstGroup + g * View.GroupBytes;
            var acc = Vector256<float>.Zero;
            for (int b = 0; b < Blocks; b++)
            {
                byte* rowScales = PackedLayout.Scales(group, b, TFormat.QuantBytesPerBlock);
                if (b % PackedLayout.ChunkBlocks == 0)
                    PackedPrefetch.Ahead(rowScales, chunkBytes);
                TFormat.Unpack(PackedLayout.Quants(group, b, TFormat.QuantBytesPerBlock), out var w0, out var w1, out var w2, out var w3,
                    out var w4, out var w5, out var w6, out var w7);
                acc = PackedDot.Block<TStep>(w0, w1, w2, w3, w4, w5, w6, w7, PackedScales.Load(rowScales),
                    quants + b * 32, scales + b, corrections + b, acc);
            }
            PackedDot.Store(acc, Y, g * PackedLayout.GroupRows - View.RowOffset, Rows);
        }
    }
}
