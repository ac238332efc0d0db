using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Decode over the packed layout (the 256-bit path): the pool hands out runs of groups (eight rows each), and a thread
/// reads each run front to back, two neighbouring groups per pass (<see cref="PackedDot.GroupPair{TFormat, TStep}"/>), so
/// each activation broadcast feeds sixteen rows; a lone last group goes through <see cref="PackedDot.Group"/>. Both
/// give prefill's bits. The loop is bound by the instructions it issues whenever memory is fast (on AVX2 a broadcast
/// takes a vector-pipe slot, as a multiply does), and the pairing spares half the broadcasts. Each chunk's lines are
/// asked for <see cref="PackedPrefetch.Distance"/> ahead. Q8_0 read its runs as two streams far apart
/// (<see cref="TwoStreams"/>) until session 12: on an AVX2-only Zen 3 a trial build that switched between them decoded
/// tinyllama-1.1b Q8_0 faster with one, and Q4_0 and Q5_0 had measured no faster or slower with two already.
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
        for (; firstGroup + 1 < endGroup; firstGroup += 2)
            PairOfGroups(firstGroup);
        for (; firstGroup < endGroup; firstGroup++)
            LoneGroup(firstGroup);
    }

    // Each pass is a call of its own, fully optimized (see IPackedPairKernel): inlined into the pool's Invoke<TJob>, which
    // a run of two threads goes through, the kernels overran the JIT's inlining budget and their helpers stayed calls.

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private readonly void PairOfGroups(int group)
    {
        PackedDot.GroupPair<TFormat, TStep>(GroupAt(group), View.GroupBytes, Blocks, A.Quants(0), A.Scales(0), A.Corrections(0),
            out var lanesA, out var lanesB);
        PackedDot.Store(lanesA, Y, group * PackedLayout.GroupRows - View.RowOffset, Rows);
        PackedDot.Store(lanesB, Y, (group + 1) * PackedLayout.GroupRows - View.RowOffset, Rows);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private readonly void LoneGroup(int group)
    {
        var lanes = PackedDot.Group<TFormat, TStep>(GroupAt(group), Blocks, A.Quants(0), A.Scales(0), A.Corrections(0), prefetchAhead: true);
        PackedDot.Store(lanes, Y, group * PackedLayout.GroupRows - View.RowOffset, Rows);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly byte* GroupAt(int group) => (byte*)View.FirstGroup + group * View.GroupBytes;
}
