using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Isa;

namespace FastInfer.Kernels.Blocks;

/// <summary>
/// Matrix-vector rows of a 16-bit float format at memory speed. Each 32-bit lane of weights holds an even- and an
/// odd-index element, widened in place (<see cref="IHalfFloatBlock"/>); the activations are laid out once per call so
/// that each group of 2·lanes elements lists its even-index values, then its odd-index ones (<see cref="Deinterleave"/>).
/// One row at a time: running two rows per pass to share the activation loads measured slower here (two interleaved
/// read streams 8 KiB apart stream from DRAM worse than one). F16 infinities and NaNs, which the in-place widening does
/// not reproduce, are detected by a running maximum of the magnitude bits; a row that has one is recomputed exactly by
/// <see cref="RowDot.Float{T}"/>.
/// </summary>
internal static unsafe class HalfFloatRows
{
    /// <summary>Elements per deinterleaved group on <paramref name="path"/>; 0 when the path has no pair kernel.</summary>
    public static int Group(IsaPath path) => path >= IsaPath.Avx512 ? 32 : path >= IsaPath.Avx2 ? 16 : 0;

    /// <summary>Writes the whole groups of <paramref name="x"/> as the pair kernels read them; a partial tail group is
    /// read from <paramref name="x"/> itself.</summary>
    public static void Deinterleave(float* x, float* destination, int n, int group)
    {
        int half = group / 2;
        for (int g = 0; g + group <= n; g += group)
        {
            for (int k = 0; k < half; k++)
            {
                destination[g + k] = x[g + 2 * k];
                destination[g + half + k] = x[g + 2 * k + 1];
            }
        }
    }

    /// <summary>y[r] = row r · x for rows [start, end).</summary>
    public static void Rows<T>(byte* matrix, long rowBytes, int start, int end, float* x, float* deinterleaved, int n, float* y, IsaPath path)
        where T : struct, IHalfFloatBlock
    {
        int whole = n - n % Group(path);
        for (int r = start; r < end; r++)
        {
            byte* w = matrix + r * rowBytes;
            bool exact = path >= IsaPath.Avx512 ? Row512<T>(w, deinterleaved, whole, out float sum) : Row256<T>(w, deinterleaved, whole, out sum);
            if (exact)
            {
                for (int i = whole; i < n; i++)
                    sum += T.Load(w + 2 * i) * x[i];
            }
            else
            {
                sum = RowDot.Float<T>(w, x, n, path);
            }
            y[r] = sum;
        }
    }

    /// <summary>The first <paramref name="n"/> elements (whole groups); false when a special encoding was seen (the sum is then wrong).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Row512<T>(byte* w, float* x, int n, out float sum) where T : struct, IHalfFloatBlock
    {
        // Four accumulators: with two, each FMA waited on the previous one's latency and the row ran at 64 bytes per
        // FMA latency (about 53 GB/s on one core here), below what one core can read.
        var even = Vector512<float>.Zero;
        var odd = even;
        var evenNext = even;
        var oddNext = even;
        var magnitude = Vector512<short>.Zero;
        int i = 0;
        for (; i + 64 <= n; i += 64)
        {
            var pairs = Vector512.Load((int*)(w + 2 * i));
            var pairsNext = Vector512.Load((int*)(w + 2 * i + 64));
            even = Vector512.FusedMultiplyAdd(T.Even(pairs), Vector512.Load(x + i), even);
            odd = Vector512.FusedMultiplyAdd(T.Odd(pairs), Vector512.Load(x + i + 16), odd);
            evenNext = Vector512.FusedMultiplyAdd(T.Even(pairsNext), Vector512.Load(x + i + 32), evenNext);
            oddNext = Vector512.FusedMultiplyAdd(T.Odd(pairsNext), Vector512.Load(x + i + 48), oddNext);
            if (T.HasSpecials)
                magnitude = Vector512.Max(magnitude, Vector512.Max(pairs.AsInt16() & Vector512.Create((short)0x7FFF), pairsNext.AsInt16() & Vector512.Create((short)0x7FFF)));
        }
        if (i < n)
        {
            var pairs = Vector512.Load((int*)(w + 2 * i));
            even = Vector512.FusedMultiplyAdd(T.Even(pairs), Vector512.Load(x + i), even);
            odd = Vector512.FusedMultiplyAdd(T.Odd(pairs), Vector512.Load(x + i + 16), odd);
            if (T.HasSpecials)
                magnitude = Vector512.Max(magnitude, pairs.AsInt16() & Vector512.Create((short)0x7FFF));
        }
        sum = Vector512.Sum((even + evenNext) + (odd + oddNext));
        return !T.HasSpecials || !Vector512.GreaterThanOrEqualAny(magnitude, Vector512.Create(T.SpecialMagnitude));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Row256<T>(byte* w, float* x, int n, out float sum) where T : struct, IHalfFloatBlock
    {
        var even = Vector256<float>.Zero;
        var odd = even;
        var magnitude = Vector256<short>.Zero;
        for (int i = 0; i < n; i += 16)
        {
            var pairs = Vector256.Load((int*)(w + 2 * i));
            even = Vector256.FusedMultiplyAdd(T.Even(pairs), Vector256.Load(x + i), even);
            odd = Vector256.FusedMultiplyAdd(T.Odd(pairs), Vector256.Load(x + i + 8), odd);
            if (T.HasSpecials)
                magnitude = Vector256.Max(magnitude, pairs.AsInt16() & Vector256.Create((short)0x7FFF));
        }
        sum = Vector256.Sum(even + odd);
        return !T.HasSpecials || !Vector256.GreaterThanOrEqualAny(magnitude, Vector256.Create(T.SpecialMagnitude));
    }
}
