using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Isa;

namespace FastInfer.Kernels.Ops.Elementwise;

/// <summary>
/// One loop skeleton per shape, generic over the operator. Each skeleton runs the widest width the path
/// allows, then steps down (512 → 256 → 128 → scalar) over what is left, so every path handles any
/// length and tails never overlap (in-place use is safe). Results depend only on the path and the length.
/// </summary>
/// <remarks>
/// The skeletons are never inlined into their callers: a skeleton holds the operator four times (one per width), and
/// inlined into a caller it used up the JIT's inlining budget there, so the operator stayed a call per vector (a profile
/// of prefill attention showed the exponential called that way). Compiled on their own, the operators inline.
/// </remarks>
public static class ElementwiseLoop
{
    /// <summary>y[i] = op(x[i]). y may be x.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Unary<TOp>(ReadOnlySpan<float> x, Span<float> y, IsaPath path) where TOp : IUnaryOperator
    {
        Require(y.Length == x.Length, "output", x.Length, y.Length);
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        nuint n = (nuint)x.Length, i = 0;
        if (path >= IsaPath.Avx512)
            for (; i + 16 <= n; i += 16)
                TOp.Invoke(Vector512.LoadUnsafe(ref px, i)).StoreUnsafe(ref py, i);
        if (path >= IsaPath.Avx2)
            for (; i + 8 <= n; i += 8)
                TOp.Invoke(Vector256.LoadUnsafe(ref px, i)).StoreUnsafe(ref py, i);
        if (path >= IsaPath.V128)
            for (; i + 4 <= n; i += 4)
                TOp.Invoke(Vector128.LoadUnsafe(ref px, i)).StoreUnsafe(ref py, i);
        for (; i < n; i++)
            Unsafe.Add(ref py, i) = TOp.Invoke(Unsafe.Add(ref px, i));
    }

    /// <summary>d[i] = op(x[i], y[i]). d may be x or y.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Binary<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d, IsaPath path)
        where TOp : IBinaryOperator
    {
        Require(y.Length == x.Length, "second operand", x.Length, y.Length);
        Require(d.Length == x.Length, "output", x.Length, d.Length);
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        ref float pd = ref MemoryMarshal.GetReference(d);
        nuint n = (nuint)x.Length, i = 0;
        if (path >= IsaPath.Avx512)
            for (; i + 16 <= n; i += 16)
                TOp.Invoke(Vector512.LoadUnsafe(ref px, i), Vector512.LoadUnsafe(ref py, i)).StoreUnsafe(ref pd, i);
        if (path >= IsaPath.Avx2)
            for (; i + 8 <= n; i += 8)
                TOp.Invoke(Vector256.LoadUnsafe(ref px, i), Vector256.LoadUnsafe(ref py, i)).StoreUnsafe(ref pd, i);
        if (path >= IsaPath.V128)
            for (; i + 4 <= n; i += 4)
                TOp.Invoke(Vector128.LoadUnsafe(ref px, i), Vector128.LoadUnsafe(ref py, i)).StoreUnsafe(ref pd, i);
        for (; i < n; i++)
            Unsafe.Add(ref pd, i) = TOp.Invoke(Unsafe.Add(ref px, i), Unsafe.Add(ref py, i));
    }

    /// <summary>d[i] = op(x[i], s). d may be x.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void BinaryScalar<TOp>(ReadOnlySpan<float> x, float s, Span<float> d, IsaPath path)
        where TOp : IBinaryOperator
    {
        Require(d.Length == x.Length, "output", x.Length, d.Length);
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float pd = ref MemoryMarshal.GetReference(d);
        nuint n = (nuint)x.Length, i = 0;
        if (path >= IsaPath.Avx512)
        {
            var s512 = Vector512.Create(s);
            for (; i + 16 <= n; i += 16)
                TOp.Invoke(Vector512.LoadUnsafe(ref px, i), s512).StoreUnsafe(ref pd, i);
        }
        if (path >= IsaPath.Avx2)
        {
            var s256 = Vector256.Create(s);
            for (; i + 8 <= n; i += 8)
                TOp.Invoke(Vector256.LoadUnsafe(ref px, i), s256).StoreUnsafe(ref pd, i);
        }
        if (path >= IsaPath.V128)
        {
            var s128 = Vector128.Create(s);
            for (; i + 4 <= n; i += 4)
                TOp.Invoke(Vector128.LoadUnsafe(ref px, i), s128).StoreUnsafe(ref pd, i);
        }
        for (; i < n; i++)
            Unsafe.Add(ref pd, i) = TOp.Invoke(Unsafe.Add(ref px, i), s);
    }

    /// <summary>d[i] = op(x[i], y[i], s). d may be x or y.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void TernaryScalar<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, float s, Span<float> d, IsaPath path)
        where TOp : ITernaryOperator
    {
        Require(y.Length == x.Length, "second operand", x.Length, y.Length);
        Require(d.Length == x.Length, "output", x.Length, d.Length);
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        ref float pd = ref MemoryMarshal.GetReference(d);
        nuint n = (nuint)x.Length, i = 0;
        if (path >= IsaPath.Avx512)
        {
            var s512 = Vector512.Create(s);
            for (; i + 16 <= n; i += 16)
                TOp.Invoke(Vector512.LoadUnsafe(ref px, i), Vector512.LoadUnsafe(ref py, i), s512).StoreUnsafe(ref pd, i);
        }
        if (path >= IsaPath.Avx2)
        {
            var s256 = Vector256.Create(s);
            for (; i + 8 <= n; i += 8)
                TOp.Invoke(Vector256.LoadUnsafe(ref px, i), Vector256.LoadUnsafe(ref py, i), s256).StoreUnsafe(ref pd, i);
        }
        if (path >= IsaPath.V128)
        {
            var s128 = Vector128.Create(s);
            for (; i + 4 <= n; i += 4)
                TOp.Invoke(Vector128.LoadUnsafe(ref px, i), Vector128.LoadUnsafe(ref py, i), s128).StoreUnsafe(ref pd, i);
        }
        for (; i < n; i++)
            Unsafe.Add(ref pd, i) = TOp.Invoke(Unsafe.Add(ref px, i), Unsafe.Add(ref py, i), s);
    }

    /// <summary>agg over map(x[i]) (sum of squares, max). Empty input gives the identity.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static float Aggregate<TMap, TAgg>(ReadOnlySpan<float> x, IsaPath path)
        where TMap : IUnaryOperator where TAgg : IAggregationOperator
    {
        ref float px = ref MemoryMarshal.GetReference(x);
        nuint n = (nuint)x.Length, i = 0;
        float total = TAgg.Identity;
        if (path >= IsaPath.Avx512 && n >= 16)
        {
            // Four independent accumulators hide the add latency; they fold in a fixed order.
            var a0 = Vector512.Create(TAgg.Identity);
            var a1 = a0;
            var a2 = a0;
            var a3 = a0;
            for (; i + 64 <= n; i += 64)
            {
                a0 = TAgg.Invoke(a0, TMap.Invoke(Vector512.LoadUnsafe(ref px, i)));
                a1 = TAgg.Invoke(a1, TMap.Invoke(Vector512.LoadUnsafe(ref px, i + 16)));
                a2 = TAgg.Invoke(a2, TMap.Invoke(Vector512.LoadUnsafe(ref px, i + 32)));
                a3 = TAgg.Invoke(a3, TMap.Invoke(Vector512.LoadUnsafe(ref px, i + 48)));
            }
            for (; i + 16 <= n; i += 16)
                a0 = TAgg.Invoke(a0, TMap.Invoke(Vector512.LoadUnsafe(ref px, i)));
            total = TAgg.Invoke(total, Fold<TAgg>(TAgg.Invoke(TAgg.Invoke(a0, a1), TAgg.Invoke(a2, a3))));
        }
        if (path >= IsaPath.Avx2 && n - i >= 8)
        {
            var a0 = Vector256.Create(TAgg.Identity);
            var a1 = a0;
            for (; i + 16 <= n; i += 16)
            {
                a0 = TAgg.Invoke(a0, TMap.Invoke(Vector256.LoadUnsafe(ref px, i)));
                a1 = TAgg.Invoke(a1, TMap.Invoke(Vector256.LoadUnsafe(ref px, i + 8)));
            }
            for (; i + 8 <= n; i += 8)
                a0 = TAgg.Invoke(a0, TMap.Invoke(Vector256.LoadUnsafe(ref px, i)));
            total = TAgg.Invoke(total, Fold<TAgg>(TAgg.Invoke(a0, a1)));
        }
        if (path >= IsaPath.V128 && n - i >= 4)
        {
            var a0 = Vector128.Create(TAgg.Identity);
            for (; i + 4 <= n; i += 4)
                a0 = TAgg.Invoke(a0, TMap.Invoke(Vector128.LoadUnsafe(ref px, i)));
            total = TAgg.Invoke(total, Fold<TAgg>(a0));
        }
        for (; i < n; i++)
            total = TAgg.Invoke(total, TMap.Invoke(Unsafe.Add(ref px, i)));
        return total;
    }

    /// <summary>d[i] = op(x[i], s), returning agg over the d[i] (softmax's exponentials and their sum). d may be x.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static float BinaryScalarAggregate<TOp, TAgg>(ReadOnlySpan<float> x, float s, Span<float> d, IsaPath path)
        where TOp : IBinaryOperator where TAgg : IAggregationOperator
    {
        Require(d.Length == x.Length, "output", x.Length, d.Length);
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float pd = ref MemoryMarshal.GetReference(d);
        nuint n = (nuint)x.Length, i = 0;
        float total = TAgg.Identity;
        if (path >= IsaPath.Avx512 && n >= 16)
        {
            var s512 = Vector512.Create(s);
            var a0 = Vector512.Create(TAgg.Identity);
            var a1 = a0;
            for (; i + 32 <= n; i += 32)
            {
                var v0 = TOp.Invoke(Vector512.LoadUnsafe(ref px, i), s512);
                var v1 = TOp.Invoke(Vector512.LoadUnsafe(ref px, i + 16), s512);
                v0.StoreUnsafe(ref pd, i);
                v1.StoreUnsafe(ref pd, i + 16);
                a0 = TAgg.Invoke(a0, v0);
                a1 = TAgg.Invoke(a1, v1);
            }
            for (; i + 16 <= n; i += 16)
            {
                var v0 = TOp.Invoke(Vector512.LoadUnsafe(ref px, i), s512);
                v0.StoreUnsafe(ref pd, i);
                a0 = TAgg.Invoke(a0, v0);
            }
            total = TAgg.Invoke(total, Fold<TAgg>(TAgg.Invoke(a0, a1)));
        }
        if (path >= IsaPath.Avx2 && n - i >= 8)
        {
            var s256 = Vector256.Create(s);
            var a0 = Vector256.Create(TAgg.Identity);
            for (; i + 8 <= n; i += 8)
            {
                var v0 = TOp.Invoke(Vector256.LoadUnsafe(ref px, i), s256);
                v0.StoreUnsafe(ref pd, i);
                a0 = TAgg.Invoke(a0, v0);
            }
            total = TAgg.Invoke(total, Fold<TAgg>(a0));
        }
        if (path >= IsaPath.V128 && n - i >= 4)
        {
            var s128 = Vector128.Create(s);
            var a0 = Vector128.Create(TAgg.Identity);
            for (; i + 4 <= n; i += 4)
            {
                var v0 = TOp.Invoke(Vector128.LoadUnsafe(ref px, i), s128);
                v0.StoreUnsafe(ref pd, i);
                a0 = TAgg.Invoke(a0, v0);
            }
            total = TAgg.Invoke(total, Fold<TAgg>(a0));
        }
        for (; i < n; i++)
        {
            float v = TOp.Invoke(Unsafe.Add(ref px, i), s);
            Unsafe.Add(ref pd, i) = v;
            total = TAgg.Invoke(total, v);
        }
        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Fold<TAgg>(Vector512<float> v) where TAgg : IAggregationOperator
        => Fold<TAgg>(TAgg.Invoke(v.GetLower(), v.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Fold<TAgg>(Vector256<float> v) where TAgg : IAggregationOperator
        => Fold<TAgg>(TAgg.Invoke(v.GetLower(), v.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Fold<TAgg>(Vector128<float> v) where TAgg : IAggregationOperator
        => TAgg.Invoke(TAgg.Invoke(v.GetElement(0), v.GetElement(2)), TAgg.Invoke(v.GetElement(1), v.GetElement(3)));

    private static void Require(bool condition, string what, int expected, int actual)
    {
        if (!condition)
            ThrowLengthMismatch(what, expected, actual);
    }

    // Out of line, so the checks the skeletons inline are a compare and a branch, not the message's formatting.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLengthMismatch(string what, int expected, int actual)
        => throw new ArgumentException($"{what} has {actual} values, expected {expected}");
}
