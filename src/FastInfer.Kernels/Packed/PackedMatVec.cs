using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Decode over the packed layout: the pool splits the groups (eight rows each); each group is read once, front to
/// back, accumulating its eight rows in the lanes of one vector (<see cref="PackedDot.Group"/>, so the bits are
/// prefill's), with each chunk's lines asked for <see cref="PackedPrefetch.Distance"/> ahead.
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
        for (int g = firstGroup; g < endGroup; g++)
        {
            var lanes = PackedDot.Group<TFormat, TStep>((byte*)View.FirstGroup + g * View.GroupBytes, Blocks,
                A.Quants(0), A.Scales(0), A.Corrections(0), prefetchAhead: true);
            PackedDot.Store(lanes, Y, g * PackedLayout.GroupRows - View.RowOffset, Rows);
        }
    }
}
