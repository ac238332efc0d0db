using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Decode over the <see cref="PackedHalfFloat"/> layout on the AVX-512 path, one group of eight rows per pass through the
/// kernel that reads the file's rows (<see cref="HalfFloatRowGroups.Eight512{T, TRows}"/>), so every row gets the same
/// bits; only the addresses differ. A group that met an F16 infinity or NaN has its rows recomputed alone from the file's
/// rows, as there.
/// </summary>
internal unsafe struct PackedHalfFloatMatVec<T> : IRowJob where T : struct, IHalfFloatBlock
{
    /// <summary>The matrix (or slice) whose packed view is read; its own rows serve the rare exact recomputation.</summary>
    public WeightMatrix W;
    /// <summary>The activations as the row kernels take them (F16-rounded for F16 weights) and deinterleaved.</summary>
    public float* X, Deinterleaved;
    public float* Y;
    public IsaPath Path;

    public void Execute(int firstGroup, int endGroup)
    {
        var view = W.Packed;
        float* sums = stackalloc float[PackedLayout.GroupRows];
        for (int g = firstGroup; g < endGroup; g++)
        {
            byte* first = (byte*)view.FirstGroup + g * view.GroupBytes;
            bool exact = HalfFloatRowGroups.Eight512<T, PackedHalfFloatStreams>(
                first, first + view.SecondHalf, PackedHalfFloat.PieceBytes, Deinterleaved, W.Columns, sums);
            for (int lane = 0; lane < PackedLayout.GroupRows; lane++)
            {
                int row = g * PackedLayout.GroupRows + lane - view.RowOffset;
                if ((uint)row < (uint)W.Rows)
                    Y[row] = exact ? sums[lane] : HalfFloatRows.LoneRow<T>((byte*)W.Data + row * W.RowBytes, X, Deinterleaved, W.Columns, Path);
            }
        }
    }
}
