using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Isa;

namespace FastInfer.Kernels.Blocks;

/// <summary>
/// Matrix-vector rows of a 16-bit float format at memory speed. Each 32-bit lane of weights holds an even- and an
/// odd-index element, widened in place (<see cref="IHalfFloatBlock"/>); the activations are laid out once per call so
/// that each group of 2·lanes elements lists its even-index values, then its odd-index ones, times the block's
/// <see cref="IHalfFloatBlock.PairScale"/> (<see cref="Deinterleave{T}"/>). Rows run several per pass
/// (<see cref="HalfFloatRowGroups"/>); the rows of a share that do not fill a group run alone here, summed in the same
/// order, so a row's bits do not depend on its group or the thread count. F16 infinities and NaNs, which the in-place
/// widening does not reproduce, are detected by a running maximum of the magnitude bits; a row that has one is
/// recomputed exactly by <see cref="RowDot.Float{T}"/>.
/// </summary>
internal static unsafe class HalfFloatRows
{
    /// <summary>Elements per deinterleaved group on <paramref name="path"/>; 0 when the path has no pair kernel.</summary>
    public static int Group(IsaPath path) => path >= IsaPath.Avx512 ? 32 : path >= IsaPath.Avx2 ? 16 : 0;

    /// <summary>Writes the whole groups of <paramref name="x"/>, times <typeparamref name="T"/>'s pair scale, as the
    /// pair kernels read them (<paramref name="group"/> is <see cref="Group"/> of a path that has them); a partial tail
    /// group is read from <paramref name="x"/> itself.</summary>
    public static void Deinterleave<T>(float* x, float* destination, int n, int group) where T : struct, IHalfFloatBlock
    {
        // Per call this is a fixed cost next to a matrix that may sit in cache, so it is vectorized: each vector of
        // x is split into its even and odd elements by one permute, and the halves of two such vectors are joined.
        int g = 0;
        if (group == 32)
        {
            var split = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
            var scale = Vector512.Create(T.PairScale);
            for (; g + 32 <= n; g += 32)
            {
                var first = Vector512.Shuffle(Vector512.Load(x + g), split);
                var second = Vector512.Shuffle(Vector512.Load(x + g + 16), split);
                (Vector512.Create(first.GetLower(), second.GetLower()) * scale).Store(destination + g);
                (Vector512.Create(first.GetUpper(), second.GetUpper()) * scale).Store(destination + g + 16);
            }
        }
        else if (group == 16)
        {
            var split = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
            var scale = Vector256.Create(T.PairScale);
            for (; g + 16 <= n; g += 16)
            {
                var first = Vector256.Shuffle(Vector256.Load(x + g), split);
                var second = Vector256.Shuffle(Vector256.Load(x + g + 8), split);
                (Vector256.Create(first.GetLower(), second.GetLower()) * scale).Store(destination + g);
                (Vector256.Create(first.GetUpper(), second.GetUpper()) * scale).Store(destination + g + 8);
            }
        }
        else
        {
            throw new ArgumentOutOfRangeException(nameof(group), group, "the pair kernels deinterleave groups of 16 or 32");
        }
    }

    /// <summary>y[r] = row r · x for rows [start, end).</summary>
    public static void Rows<T>(byte* matrix, long rowBytes, int start, int end, float* x, float* deinterleaved, int n, float* y, IsaPath path)
        where T : struct, IHalfFloatBlock
    {
        int whole = n - n % Group(path);
        int r = start;
        if (path >= IsaPath.Avx512)
        {
            for (; r + 8 <= end; r += 8)
            {
                byte* group = matrix + r * rowBytes;
                bool exact = HalfFloatRowGroups.Eight512<T, HalfFloatRowGroups.FileRows>(group, group + 4 * rowBytes, rowBytes, deinterleaved, whole, y + r);
                FinishGroup<T>(matrix, rowBytes, r, 8, exact, x, deinterleaved, whole, n, y, path);
            }
        }
        else if (path >= IsaPath.Avx2)
        {
            for (; r + 4 <= end; r += 4)
            {
                bool exact = HalfFloatRowGroups.Four256<T>(matrix + r * rowBytes, rowBytes, deinterleaved, whole, y + r);
                FinishGroup<T>(matrix, rowBytes, r, 4, exact, x, deinterleaved, whole, n, y, path);
            }
        }
        for (; r < end; r++)
            y[r] = Row<T>(matrix + r * rowBytes, x, deinterleaved, whole, n, path);
    }

    /// <summary>Adds each grouped row's tail, or, when the group met a special encoding, computes its rows alone.</summary>
    private static void FinishGroup<T>(byte* matrix, long rowBytes, int first, int count, bool exact, float* x, float* deinterleaved, int whole, int n, float* y, IsaPath path)
        where T : struct, IHalfFloatBlock
    {
        for (int r = first; r < first + count; r++)
        {
            byte* w = matrix + r * rowBytes;
            y[r] = exact ? RowDot.FloatTail<T>(w, x, whole, n, y[r]) : Row<T>(w, x, deinterleaved, whole, n, path);
        }
    }

    /// <summary>Row <paramref name="w"/> alone, as <see cref="Rows{T}"/> sums a row of a group: for the packed kernel's
    /// groups that met an infinity or NaN (<see cref="Packed.PackedHalfFloatMatVec{T}"/>).</summary>
    public static float LoneRow<T>(byte* w, float* x, float* deinterleaved, int n, IsaPath path) where T : struct, IHalfFloatBlock
        => Row<T>(w, x, deinterleaved, n - n % Group(path), n, path);

    /// <summary>One row alone, summed as a grouped row is; exact even when the row holds infinities or NaNs.</summary>
    private static float Row<T>(byte* w, float* x, float* deinterleaved, int whole, int n, IsaPath path) where T : struct, IHalfFloatBlock
    {
        bool exact = path >= IsaPath.Avx512 ? Row512<T>(w, deinterleaved, whole, out float sum) : Row256<T>(w, deinterleaved, whole, out sum);
        return exact ? RowDot.FloatTail<T>(w, x, whole, n, sum) : RowDot.Float<T>(w, x, n, path);
    }

    /// <summary>The first <paramref name="n"/> elements (whole groups); false when a special encoding was seen (the sum is then wrong).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Row512<T>(byte* w, float* x, int n, out float sum) where T : struct, IHalfFloatBlock
    {
        // Two FMA chains hold a lone row to 64 bytes per FMA latency; lone rows are only the few a share leaves over
        // after its groups, whose interleaved chains hide that latency.
        var even = Vector512<float>.Zero;
        var odd = even;
        var magnitude = Vector512<short>.Zero;
        for (int i = 0; i < n; i += 32)
        {
            var pairs = Vector512.Load((int*)(w + 2 * i));
            even = Vector512.FusedMultiplyAdd(T.Even(pairs), Vector512.Load(x + i), even);
            odd = Vector512.FusedMultiplyAdd(T.Odd(pairs), Vector512.Load(x + i + 16), odd);
            if (T.HasSpecials)
                magnitude = Vector512.Max(magnitude, pairs.AsInt16() & Vector512.Create((short)0x7FFF));
        }
        sum = Vector512.Sum(even + odd);
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
