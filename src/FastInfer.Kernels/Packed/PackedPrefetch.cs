using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Software prefetch for the streams of the decode kernels (<see cref="PackedMatVec{TFormat, TStep}"/>,
/// <see cref="PackedSuperBlockMatVec{TFormat, TStep}"/>: a thread reads each of its streams front to back). Tuned when a
/// thread read one stream, with a benchmark whose copies were later found to fit partly in cache: there the hardware
/// prefetcher alone let packed Q8_0 reach 68–82% of a plain read pass over the same memory and asking for each span
/// <see cref="Distance"/> bytes ahead 86–90% (for Q4_K, 2 KiB ahead no better than none; for Q8_0, 16–32 KiB no better
/// than 8 KiB). From DRAM, still with one stream per thread, a trial build that read the distance from the environment
/// found 2, 8 and 32 KiB and none no different next to this host's swings in `bench-kernels`; the two-stream kernels
/// were not tuned again. The requests go four to a loop pass: the AVX2 decode loops are bound by the instructions they
/// issue whenever memory is fast, and a pass per line cost nearly as many instructions as the requests themselves.
/// Where a kernel reads many lines per step, asking for them all before its loads (<see cref="Ahead"/>) was slower from
/// DRAM than asking for a few at a time among the loads (<see cref="Lines"/>): in session 14's trial harness on the Zen 3,
/// Q4_K's 18-line super-block, Q6_K's 26 lines, Q5_K's 22 lines (a quarter before each of its four chunks) and Q8_0's
/// 17-line chunk gained that way, while Q4_0's 9-line chunk gained nothing. Where the kernel's loop cannot name its
/// shares as constants, counting them out costs instructions (Q4_0 ran slower from cache), so the block formats ask for
/// each block's own lines instead (<see cref="PackedDot.Group"/>).
/// </summary>
internal static unsafe class PackedPrefetch
{
    public const int Distance = 8192;

    /// <summary>Asks for the cache lines of the <paramref name="bytes"/> at <paramref name="at"/> + <see cref="Distance"/>
    /// (past the end of the packed copy this only names lines no one reads; a prefetch never faults).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Ahead(byte* at, int bytes)
    {
        byte* ahead = at + Distance;
        for (int line = 0; line < bytes; line += 256)
        {
            Sse.Prefetch0(ahead + line);
            Sse.Prefetch0(ahead + line + 64);
            Sse.Prefetch0(ahead + line + 128);
            Sse.Prefetch0(ahead + line + 192);
        }
    }

    /// <summary>
    /// Asks for share <paramref name="share"/> of <paramref name="shares"/> even shares of the <paramref name="lines"/>
    /// lines at <paramref name="at"/> + <see cref="Distance"/> (the shares of 18 lines in eight are 3, 2, 2, 2, 3, 2, 2, 2).
    /// Inlined: given constants, the JIT folds the arithmetic away.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Share(byte* at, int lines, int share, int shares)
    {
        int first = (lines * share + shares - 1) / shares, end = (lines * (share + 1) + shares - 1) / shares;
        Lines(at, first, end - first);
    }

    /// <summary>Asks for the line that holds <paramref name="at"/> + <see cref="Distance"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LineOf(byte* at) => Sse.Prefetch0(at + Distance);

    /// <summary>
    /// Asks for lines <paramref name="first"/> .. <paramref name="first"/> + <paramref name="count"/> − 1 of the span at
    /// <paramref name="at"/> + <see cref="Distance"/>: a kernel's share of its span's requests for the loads it is about to
    /// issue. Up to four (a constant count, inlined) are written out; more take a loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Lines(byte* at, int first, int count)
    {
        byte* ahead = at + Distance + 64 * first;
        if (count > 4)
        {
            for (int line = 0; line < count; line++)
                Sse.Prefetch0(ahead + 64 * line);
            return;
        }
        if (count > 0) Sse.Prefetch0(ahead);
        if (count > 1) Sse.Prefetch0(ahead + 64);
        if (count > 2) Sse.Prefetch0(ahead + 128);
        if (count > 3) Sse.Prefetch0(ahead + 192);
    }
}
