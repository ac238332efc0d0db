using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Isa;

namespace FastInfer.Kernels.Blocks;

/// <summary>
/// Matrix-vector rows of a plain float format (F32 in practice: F16/BF16 have <see cref="HalfFloatRows"/>) several rows
/// per pass — eight on the 512-bit path, four on the 256- and 128-bit ones — so each core reads that many weight streams
/// at once and loads each activation vector once per group. One row at a time left the F32 decode of a 1B model at
/// about 80% of the read bandwidth on this project's Zen 5: in a tinyllama-shaped decode loop over huge pages, eight
/// rows per pass streamed 1.06–1.25× faster than one, while two rows per pass were slower than one and software
/// prefetch slowed every variant (the hardware prefetcher keeps up with eight streams on its own).
/// </summary>
/// <remarks>
/// Each row keeps the two accumulators, the order of vector steps, the horizontal sum and the scalar tail of
/// <see cref="RowDot.Float{T}"/>, so a row's result has the same bits whether it ran in a group or alone (the rows of a
/// thread's share that do not fill a group run alone): results do not depend on the grouping or the thread count.
/// </remarks>
internal static unsafe class FloatRowGroups
{
    /// <summary>y[r] = row r · x for rows [start, end) of the matrix at <paramref name="matrix"/>.</summary>
    public static void Rows<T>(byte* matrix, long rowBytes, int start, int end, float* x, int n, float* y, IsaPath path)
        where T : struct, IFloatBlock
    {
        int r = start;
        // The same width choice as RowDot.Float, so a grouped row and a lone row run the same vector loop.
        if (path >= IsaPath.Avx512 && n >= 16)
        {
            for (; r + 8 <= end; r += 8)
                Eight512<T>(matrix + r * rowBytes, rowBytes, x, n, y + r);
        }
        else if (path >= IsaPath.Avx2 && n >= 8)
        {
            for (; r + 4 <= end; r += 4)
                Four<T, FloatLanes256, Vector256<float>>(matrix + r * rowBytes, rowBytes, x, n, y + r);
        }
        else if (path >= IsaPath.V128 && n >= 4)
        {
            for (; r + 4 <= end; r += 4)
                Four<T, FloatLanes128, Vector128<float>>(matrix + r * rowBytes, rowBytes, x, n, y + r);
        }
        for (; r < end; r++)
            y[r] = RowDot.Float<T>(matrix + r * rowBytes, x, n, path);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Eight512<T>(byte* w0, long rowBytes, float* x, int n, float* y) where T : struct, IFloatBlock
    {
        byte* w1 = w0 + rowBytes, w2 = w1 + rowBytes, w3 = w2 + rowBytes;
        byte* w4 = w3 + rowBytes, w5 = w4 + rowBytes, w6 = w5 + rowBytes, w7 = w6 + rowBytes;
        // Per row: "a" and "b" are RowDot.Float's acc0 and acc1.
        var a0 = Vector512<float>.Zero;
        Vector512<float> a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        Vector512<float> b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
        // Chunks of 16 alternate between the a and b sums, so a trailing lone chunk lands in a, as in RowDot.Float.
        int i = 0;
        while (i + 16 <= n)
        {
            long at = (long)i * T.Bytes;
            var xa = Vector512.Load(x + i);
            a0 = Vector512.FusedMultiplyAdd(T.Load512(w0 + at), xa, a0);
            a1 = Vector512.FusedMultiplyAdd(T.Load512(w1 + at), xa, a1);
            a2 = Vector512.FusedMultiplyAdd(T.Load512(w2 + at), xa, a2);
            a3 = Vector512.FusedMultiplyAdd(T.Load512(w3 + at), xa, a3);
            a4 = Vector512.FusedMultiplyAdd(T.Load512(w4 + at), xa, a4);
            a5 = Vector512.FusedMultiplyAdd(T.Load512(w5 + at), xa, a5);
            a6 = Vector512.FusedMultiplyAdd(T.Load512(w6 + at), xa, a6);
            a7 = Vector512.FusedMultiplyAdd(T.Load512(w7 + at), xa, a7);
            i += 16;
            if (i + 16 > n)
                break;
            at = (long)i * T.Bytes;
            var xb = Vector512.Load(x + i);
            b0 = Vector512.FusedMultiplyAdd(T.Load512(w0 + at), xb, b0);
            b1 = Vector512.FusedMultiplyAdd(T.Load512(w1 + at), xb, b1);
            b2 = Vector512.FusedMultiplyAdd(T.Load512(w2 + at), xb, b2);
            b3 = Vector512.FusedMultiplyAdd(T.Load512(w3 + at), xb, b3);
            b4 = Vector512.FusedMultiplyAdd(T.Load512(w4 + at), xb, b4);
            b5 = Vector512.FusedMultiplyAdd(T.Load512(w5 + at), xb, b5);
            b6 = Vector512.FusedMultiplyAdd(T.Load512(w6 + at), xb, b6);
            b7 = Vector512.FusedMultiplyAdd(T.Load512(w7 + at), xb, b7);
            i += 16;
        }
        y[0] = RowDot.FloatTail<T>(w0, x, i, n, Vector512.Sum(a0 + b0));
        y[1] = RowDot.FloatTail<T>(w1, x, i, n, Vector512.Sum(a1 + b1));
        y[2] = RowDot.FloatTail<T>(w2, x, i, n, Vector512.Sum(a2 + b2));
        y[3] = RowDot.FloatTail<T>(w3, x, i, n, Vector512.Sum(a3 + b3));
        y[4] = RowDot.FloatTail<T>(w4, x, i, n, Vector512.Sum(a4 + b4));
        y[5] = RowDot.FloatTail<T>(w5, x, i, n, Vector512.Sum(a5 + b5));
        y[6] = RowDot.FloatTail<T>(w6, x, i, n, Vector512.Sum(a6 + b6));
        y[7] = RowDot.FloatTail<T>(w7, x, i, n, Vector512.Sum(a7 + b7));
    }

    /// <summary>Four rows on a 256- or 128-bit path (<typeparamref name="TLanes"/>), summed as RowDot.Float sums one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Four<T, TLanes, TVector>(byte* w0, long rowBytes, float* x, int n, float* y)
        where T : struct, IFloatBlock where TLanes : struct, IFloatLanes<TVector> where TVector : struct
    {
        int lanes = TLanes.Count;
        byte* w1 = w0 + rowBytes, w2 = w1 + rowBytes, w3 = w2 + rowBytes;
        var a0 = TLanes.Zero;
        TVector a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int i = 0;
        while (i + lanes <= n)
        {
            long at = (long)i * T.Bytes;
            var xa = TLanes.Load(x + i);
            a0 = TLanes.MultiplyAdd(TLanes.Load<T>(w0 + at), xa, a0);
            a1 = TLanes.MultiplyAdd(TLanes.Load<T>(w1 + at), xa, a1);
            a2 = TLanes.MultiplyAdd(TLanes.Load<T>(w2 + at), xa, a2);
            a3 = TLanes.MultiplyAdd(TLanes.Load<T>(w3 + at), xa, a3);
            i += lanes;
            if (i + lanes > n)
                break;
            at = (long)i * T.Bytes;
            var xb = TLanes.Load(x + i);
            b0 = TLanes.MultiplyAdd(TLanes.Load<T>(w0 + at), xb, b0);
            b1 = TLanes.MultiplyAdd(TLanes.Load<T>(w1 + at), xb, b1);
            b2 = TLanes.MultiplyAdd(TLanes.Load<T>(w2 + at), xb, b2);
            b3 = TLanes.MultiplyAdd(TLanes.Load<T>(w3 + at), xb, b3);
            i += lanes;
        }
        y[0] = RowDot.FloatTail<T>(w0, x, i, n, TLanes.SumOfBoth(a0, b0));
        y[1] = RowDot.FloatTail<T>(w1, x, i, n, TLanes.SumOfBoth(a1, b1));
        y[2] = RowDot.FloatTail<T>(w2, x, i, n, TLanes.SumOfBoth(a2, b2));
        y[3] = RowDot.FloatTail<T>(w3, x, i, n, TLanes.SumOfBoth(a3, b3));
    }
}
