using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Decode over the packed layout (the 256-bit path): the pool hands out runs of groups (eight rows each), and a thread
/// reads group i of the first half of its run together with group i of the second half, block by block
/// (<see cref="PackedGroupPair"/>), so it reads two streams that advance together, each activation broadcast feeding
/// sixteen rows; a lone last group of an odd run goes on its own (<see cref="PackedDot.Group"/>). On an AVX2-only Zen 3
/// (session 23, a trial harness alternating the kernels call by call from DRAM) a plain read of two such streams per
/// thread was faster than of one, and this kernel faster than the one-group-per-pass walk it replaced, which read as
/// fast as a plain single stream; reading the two halves' groups in turn, a whole group at a time, was not (that is still
/// one stream at a time). Session 13 had tried two neighbouring groups per pass, which was slower from DRAM.
/// </summary>
internal unsafe struct PackedMatVec<TFormat, TStep> : IRowJob
    where TFormat : struct, IPackedFormat where TStep : struct, IPackedStep
{
    public PackedView View;
    public int Rows;
    public int Blocks;
    public PackedActivations A;
    public float* Y;

    // Not inlined into the pool's Invoke<TJob>: once tiering recompiled that with the pair walk inside, the JIT's inlining
    // budget ran out and the pair's helpers stayed calls, which made decode from cache about four times slower.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Execute(int firstGroup, int endGroup)
    {
        int half = TwoStreams.Half(firstGroup, endGroup);
        for (int i = 0; i < half; i++)
        {
            int a = firstGroup + i, b = a + half;
            PackedGroupPair.Lanes<TFormat, TStep>(GroupAt(a), GroupAt(b), Blocks, A.Quants(0), A.Scales(0), A.Corrections(0), A.MinimumScales(0),
                out var lanesA, out var lanesB);
            PackedDot.Store(lanesA, Y, a * PackedLayout.GroupRows - View.RowOffset, Rows);
            PackedDot.Store(lanesB, Y, b * PackedLayout.GroupRows - View.RowOffset, Rows);
        }
        if (firstGroup + 2 * half < endGroup)
        {
            int g = endGroup - 1;
            var lanes = PackedDot.Group<TFormat, TStep>(GroupAt(g), Blocks, A.Quants(0), A.Scales(0), A.Corrections(0), A.MinimumScales(0), prefetchAhead: true);
            PackedDot.Store(lanes, Y, g * PackedLayout.GroupRows - View.RowOffset, Rows);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly byte* GroupAt(int group) => (byte*)View.FirstGroup + group * View.GroupBytes;
}
