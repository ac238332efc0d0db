using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Software prefetch for the one-stream decode kernels (<see cref="PackedMatVec{TFormat, TStep}"/>,
/// <see cref="PackedSuperBlockMatVec{TFormat, TStep}"/>: a thread reads its groups front to back). The hardware
/// prefetcher alone let packed Q8_0 decode from DRAM reach 68–82% of a plain read pass over the same memory (alternated
/// runs, read pass 77–93 GB/s); asking for each span <see cref="Distance"/> bytes ahead as it is read gave 86–90%
/// (for Q4_K, 2 KiB ahead measured no better than none; for Q8_0, 16–32 KiB no better than 8 KiB).
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
        for (int line = 0; line < bytes; line += 64)
            Sse.Prefetch0(ahead + line);
    }
}
