using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Decode over the packed layout (the 256-bit path): the pool hands out runs of groups (eight rows each), and a thread
/// reads each run front to back, one group per pass (<see cref="PackedDot.Group"/>, prefill's bits), asking for each
/// chunk's lines <see cref="PackedPrefetch.Distance"/> ahead. Q8_0 read its runs as two streams (<see cref="TwoStreams"/>)
/// until session 12: on an AVX2-only Zen 3 a trial build that switched between them decoded tinyllama-1.1b Q8_0 faster
/// with one, and Q4_0 and Q5_0 had measured no faster or slower with two already.
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
            var lanes = PackedDot.Group<TFormat, TStep>(GroupAt(g), Blocks, A.Quants(0), A.Scales(0), A.Corrections(0), A.MinimumScales(0), prefetchAhead: true);
            PackedDot.Store(lanes, Y, g * PackedLayout.GroupRows - View.RowOffset, Rows);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly byte* GroupAt(int group) => (byte*)View.FirstGroup + group * View.GroupBytes;
}
