using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastInfer.Kernels.Blocks;

/// <summary>
/// The vector part of 16-bit float rows several per pass — eight on the 512-bit path, four on the 256-bit one — so a
/// core reads that many weight streams at once and loads each deinterleaved activation vector once per group, as
/// <see cref="FloatRowGroups"/> does for F32 (where eight streams per pass read DRAM faster than one). With the matrix in
/// L2 (64×4096, one thread) eight F16 rows per pass ran 1.4–1.65× and BF16 1.2–1.5× the one-row kernel they replace; a
/// one-row kernel with the same cheaper widening reached only 1.2× (F16) and 1.35× (BF16), and four rows of four
/// accumulators each, or eight rows run as two passes per column block (which would keep the one-row kernel's four
/// accumulators and its bits), stayed below eight rows of two. From DRAM on two threads the gain is small next to this
/// host's drift: F16 1.09× the one-row kernel (median of five alternations in one process), BF16 0.97×.
/// </summary>
/// <remarks>
/// Each row keeps the even and odd accumulators and the horizontal sum of the lone row in <see cref="HalfFloatRows"/>,
/// so its bits do not depend on the grouping. One running magnitude maximum serves the whole group: a group that met an
/// infinity or NaN is rare and has its rows recomputed alone.
/// </remarks>
internal static unsafe class HalfFloatRowGroups
{
    /// <summary>
    /// sums[k] = the first <paramref name="n"/> elements (whole groups of 32) of row k against the deinterleaved
    /// <paramref name="x"/>, for the eight rows <typeparamref name="TRows"/> places: rows 0–3 from <paramref name="first"/>
    /// and rows 4–7 from <paramref name="second"/>, <paramref name="rowStride"/> bytes apart; false when a special encoding
    /// was seen. The file's rows (<see cref="FileRows"/>) and the packed copy (<see cref="Packed.PackedHalfFloatStreams"/>)
    /// run the same arithmetic, so a row's bits do not depend on where it is read from.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Eight512<T, TRows>(byte* first, byte* second, long rowStride, float* x, int n, float* sums)
        where T : struct, IHalfFloatBlock where TRows : struct, IHalfFloatRowStreams
    {
        byte* w0 = first, w1 = w0 + rowStride, w2 = w1 + rowStride, w3 = w2 + rowStride;
        byte* w4 = second, w5 = w4 + rowStride, w6 = w5 + rowStride, w7 = w6 + rowStride;
        var e0 = Vector512<float>.Zero;
        Vector512<float> e1 = e0, e2 = e0, e3 = e0, e4 = e0, e5 = e0, e6 = e0, e7 = e0;
        Vector512<float> o0 = e0, o1 = e0, o2 = e0, o3 = e0, o4 = e0, o5 = e0, o6 = e0, o7 = e0;
        // Two maxima, so the chain of Max operations per pass is four long rather than eight.
        var low = Vector512<short>.Zero;
        var high = low;
        var magnitudeBits = Vector512.Create((short)0x7FFF);
        long at = 0;
        for (int i = 0; i < n; i += 32, at += TRows.StepBytes)
        {
            TRows.PrefetchAhead(first, second, rowStride, at);
            var xe = Vector512.Load(x + i);
            var xo = Vector512.Load(x + i + 16);
            var p = Vector512.Load((int*)(w0 + at));
            e0 = Vector512.FusedMultiplyAdd(T.Even(p), xe, e0);
            o0 = Vector512.FusedMultiplyAdd(T.Odd(p), xo, o0);
            if (T.HasSpecials)
                low = Vector512.Max(low, p.AsInt16() & magnitudeBits);
            p = Vector512.Load((int*)(w1 + at));
            e1 = Vector512.FusedMultiplyAdd(T.Even(p), xe, e1);
            o1 = Vector512.FusedMultiplyAdd(T.Odd(p), xo, o1);
            if (T.HasSpecials)
                high = Vector512.Max(high, p.AsInt16() & magnitudeBits);
            p = Vector512.Load((int*)(w2 + at));
            e2 = Vector512.FusedMultiplyAdd(T.Even(p), xe, e2);
            o2 = Vector512.FusedMultiplyAdd(T.Odd(p), xo, o2);
            if (T.HasSpecials)
                low = Vector512.Max(low, p.AsInt16() & magnitudeBits);
            p = Vector512.Load((int*)(w3 + at));
            e3 = Vector512.FusedMultiplyAdd(T.Even(p), xe, e3);
            o3 = Vector512.FusedMultiplyAdd(T.Odd(p), xo, o3);
            if (T.HasSpecials)
                high = Vector512.Max(high, p.AsInt16() & magnitudeBits);
            p = Vector512.Load((int*)(w4 + at));
            e4 = Vector512.FusedMultiplyAdd(T.Even(p), xe, e4);
            o4 = Vector512.FusedMultiplyAdd(T.Odd(p), xo, o4);
            if (T.HasSpecials)
                low = Vector512.Max(low, p.AsInt16() & magnitudeBits);
            p = Vector512.Load((int*)(w5 + at));
            e5 = Vector512.FusedMultiplyAdd(T.Even(p), xe, e5);
            o5 = Vector512.FusedMultiplyAdd(T.Odd(p), xo, o5);
            if (T.HasSpecials)
                high = Vector512.Max(high, p.AsInt16() & magnitudeBits);
            p = Vector512.Load((int*)(w6 + at));
            e6 = Vector512.FusedMultiplyAdd(T.Even(p), xe, e6);
            o6 = Vector512.FusedMultiplyAdd(T.Odd(p), xo, o6);
            if (T.HasSpecials)
                low = Vector512.Max(low, p.AsInt16() & magnitudeBits);
            p = Vector512.Load((int*)(w7 + at));
            e7 = Vector512.FusedMultiplyAdd(T.Even(p), xe, e7);
            o7 = Vector512.FusedMultiplyAdd(T.Odd(p), xo, o7);
            if (T.HasSpecials)
                high = Vector512.Max(high, p.AsInt16() & magnitudeBits);
        }
        sums[0] = Vector512.Sum(e0 + o0);
        sums[1] = Vector512.Sum(e1 + o1);
        sums[2] = Vector512.Sum(e2 + o2);
        sums[3] = Vector512.Sum(e3 + o3);
        sums[4] = Vector512.Sum(e4 + o4);
        sums[5] = Vector512.Sum(e5 + o5);
        sums[6] = Vector512.Sum(e6 + o6);
        sums[7] = Vector512.Sum(e7 + o7);
        return !T.HasSpecials || !Vector512.GreaterThanOrEqualAny(Vector512.Max(low, high), Vector512.Create(T.SpecialMagnitude));
    }

    /// <summary>The file's rows, one after another: each a stream of its own, 64 bytes per step.</summary>
    public readonly struct FileRows : IHalfFloatRowStreams
    {
        /// <summary>How far ahead of the bytes being read <see cref="PrefetchAhead"/> asks for each row's line.</summary>
        public const int PrefetchBytes = 1024;

        public static long StepBytes => 64;

        /// <summary>
        /// Asks for the line <see cref="PrefetchBytes"/> past offset <paramref name="at"/> in each of the eight rows from
        /// <paramref name="first"/> (<paramref name="rowStride"/> is the row length); past a row's end, for the same place in the next
        /// group's row, where the thread goes next (past the matrix's end it only names lines no one reads: a prefetch never
        /// faults). The eight streams of a group carry about five lines each in flight through the out-of-order window, as
        /// the widening costs several operations per line; the hardware prefetcher does not fill the gap, nor does it follow
        /// the jump to the next group. In trial runs outside the repository (alternated call by call in one process, from
        /// DRAM, two threads), F16 decode read faster with these requests at 512–1536 bytes than with none, and BF16 a little
        /// faster; prefetching only within the row, as tried before, had not helped: each group then started its eight rows
        /// cold. `bench-kernels` shows the effect (docs/performance-log.md).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void PrefetchAhead(byte* first, byte* second, long rowStride, long at)
        {
            long ahead = at + PrefetchBytes;
            byte* line = first + ahead + (ahead >= rowStride ? 7 * rowStride : 0);
            for (int row = 0; row < 8; row++)
                Sse.Prefetch0(line + row * rowStride);
        }
    }

    /// <summary>
    /// Four rows on the 256-bit path (whole groups of 16), as <see cref="Eight512{T, TRows}"/> reads the file's rows, asking
    /// for each row's line <see cref="FileRows.PrefetchBytes"/> ahead once per line (past a row's end, the next four rows',
    /// where the thread goes next). In a trial harness on the AVX2-only Zen 3 (an 11008×4096 F16 matrix cycled through
    /// copies from DRAM, two threads, alternated call by call) the requests at 512 or 1024 bytes read faster than none in
    /// most rounds, at 2 or 4 KiB no faster.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Four256<T>(byte* w0, long rowBytes, float* x, int n, float* sums) where T : struct, IHalfFloatBlock
    {
        byte* w1 = w0 + rowBytes, w2 = w1 + rowBytes, w3 = w2 + rowBytes;
        var e0 = Vector256<float>.Zero;
        Vector256<float> e1 = e0, e2 = e0, e3 = e0, o0 = e0, o1 = e0, o2 = e0, o3 = e0;
        var magnitude = Vector256<short>.Zero;
        var magnitudeBits = Vector256.Create((short)0x7FFF);
        for (int i = 0; i < n; i += 16)
        {
            long at = 2L * i;
            if ((at & 63) == 0)
            {
                long ahead = at + FileRows.PrefetchBytes;
                byte* line = w0 + ahead + (ahead >= rowBytes ? 3 * rowBytes : 0);
                Sse.Prefetch0(line);
                Sse.Prefetch0(line + rowBytes);
                Sse.Prefetch0(line + 2 * rowBytes);
                Sse.Prefetch0(line + 3 * rowBytes);
            }
            var xe = Vector256.Load(x + i);
            var xo = Vector256.Load(x + i + 8);
            var p = Vector256.Load((int*)(w0 + at));
            e0 = Vector256.FusedMultiplyAdd(T.Even(p), xe, e0);
            o0 = Vector256.FusedMultiplyAdd(T.Odd(p), xo, o0);
            if (T.HasSpecials)
                magnitude = Vector256.Max(magnitude, p.AsInt16() & magnitudeBits);
            p = Vector256.Load((int*)(w1 + at));
            e1 = Vector256.FusedMultiplyAdd(T.Even(p), xe, e1);
            o1 = Vector256.FusedMultiplyAdd(T.Odd(p), xo, o1);
            if (T.HasSpecials)
                magnitude = Vector256.Max(magnitude, p.AsInt16() & magnitudeBits);
            p = Vector256.Load((int*)(w2 + at));
            e2 = Vector256.FusedMultiplyAdd(T.Even(p), xe, e2);
            o2 = Vector256.FusedMultiplyAdd(T.Odd(p), xo, o2);
            if (T.HasSpecials)
                magnitude = Vector256.Max(magnitude, p.AsInt16() & magnitudeBits);
            p = Vector256.Load((int*)(w3 + at));
            e3 = Vector256.FusedMultiplyAdd(T.Even(p), xe, e3);
            o3 = Vector256.FusedMultiplyAdd(T.Odd(p), xo, o3);
            if (T.HasSpecials)
                magnitude = Vector256.Max(magnitude, p.AsInt16() & magnitudeBits);
        }
        sums[0] = Vector256.Sum(e0 + o0);
        sums[1] = Vector256.Sum(e1 + o1);
        sums[2] = Vector256.Sum(e2 + o2);
        sums[3] = Vector256.Sum(e3 + o3);
        return !T.HasSpecials || !Vector256.GreaterThanOrEqualAny(magnitude, Vector256.Create(T.SpecialMagnitude));
    }
}
