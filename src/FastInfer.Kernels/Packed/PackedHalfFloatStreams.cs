using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// The rows of a <see cref="PackedHalfFloat"/> group for <see cref="HalfFloatRowGroups.Eight512{T, TRows}"/>: each half a
/// stream of four rows 64 bytes apart, 256 bytes per step.
/// </summary>
internal readonly unsafe struct PackedHalfFloatStreams : IHalfFloatRowStreams
{
    /// <summary>How far ahead of a stream's step <see cref="PrefetchAhead"/> asks for its lines.</summary>
    public const int PrefetchBytes = 4096;

    public static long StepBytes => PackedHalfFloat.StepBytes;

    /// <summary>
    /// Asks for each stream's four lines <see cref="PrefetchBytes"/> past the step, running on into the next group of its
    /// region (past a region's end it names lines no one reads; a prefetch never faults), where the decode kernels ask
    /// ahead (<see cref="PackedPair.AsksAhead"/>). In the trial runs that chose this layout (see
    /// <see cref="PackedHalfFloat"/>), distances from 2 to 8 KiB read about alike, 4 KiB as fast as any.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PrefetchAhead(byte* first, byte* second, long rowStride, long at)
    {
        if (!PackedPair.AsksAhead)
            return;
        long ahead = at + PrefetchBytes;
        for (int line = 0; line < PackedHalfFloat.StepBytes; line += 64)
        {
            Sse.Prefetch0(first + ahead + line);
            Sse.Prefetch0(second + ahead + line);
        }
    }
}
