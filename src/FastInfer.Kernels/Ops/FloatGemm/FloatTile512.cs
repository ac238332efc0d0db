using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastInfer.Kernels.Ops.FloatGemm;

/// <summary>How many 16-token vectors a register tile spans (1–4); a struct per width so each kernel compiles separately.</summary>
internal interface ITileVectors
{
    static abstract int Count { get; }
}

internal struct OneVector : ITileVectors { public static int Count => 1; }
internal struct TwoVectors : ITileVectors { public static int Count => 2; }
internal struct ThreeVectors : ITileVectors { public static int Count => 3; }
internal struct FourVectors : ITileVectors { public static int Count => 4; }

/// <summary>
/// The AVX-512 register tile: 6 weight rows × up to 64 tokens, 24 zmm accumulators. Tokens lie along the vectors and each
/// weight is broadcast, so F32 weights are read in place (six row streams) and only the activations need a transposed
/// copy, which every row of the matrix shares. Every output is one FMA chain over k, continued across depth blocks
/// through the stored partial sum, so results do not depend on the tiling or on which thread runs a row.
/// </summary>
internal static unsafe class FloatTile512
{
    public const int Rows = 6;
    public const int Tokens = 64;

    /// <summary>Steps of k between two rounds of prefetches: 16 F32 weights fill one cache line.</summary>
    private const int PrefetchSteps = 16;

    /// <summary>As the overload below with nothing further to fetch (its prefetches touch the panel's own weights).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Multiply<TV>(float* w, long wStride, int rows, float* x, int depth, float* c, int ldc, bool accumulate)
        where TV : struct, ITileVectors
        => Multiply<TV>(w, wStride, rows, x, depth, c, ldc, accumulate, (byte*)w, wStride * sizeof(float), rows, sizeof(float));

    /// <summary>
    /// Cᵀ[i, 0..16·V) (+)= Σ_k W[i, k] · X[k, 0..16·V) for rows i &lt; <paramref name="rows"/> (further rows repeat the last
    /// one and their results are to be ignored). W row i starts at <paramref name="w"/> + i·<paramref name="wStride"/>;
    /// X is packed [k][<see cref="Tokens"/>]; Cᵀ row i starts at <paramref name="c"/> + i·<paramref name="ldc"/>.
    /// <paramref name="next"/> (<paramref name="nextRows"/> rows <paramref name="nextStride"/> bytes apart,
    /// <paramref name="nextBytesPerStep"/> bytes per k) is fetched toward L2 a line per row every 16 steps: weights a later
    /// call will read, requested a few at a time so the requests never pile up and stall the FMAs behind them.
    /// </summary>
    // Fully optimized from the first call: it runs millions of times per prefill and has nothing for PGO to learn.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply<TV>(float* w, long wStride, int rows, float* x, int depth, float* c, int ldc, bool accumulate,
        byte* next, long nextStride, int nextRows, int nextBytesPerStep)
        where TV : struct, ITileVectors
    {
        float* w0 = w;
        float* w1 = w + Math.Min(1, rows - 1) * wStride;
        float* w2 = w + Math.Min(2, rows - 1) * wStride;
        float* w3 = w + Math.Min(3, rows - 1) * wStride;
        float* w4 = w + Math.Min(4, rows - 1) * wStride;
        float* w5 = w + Math.Min(5, rows - 1) * wStride;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        Vector512<float> a40 = default, a41 = default, a42 = default, a43 = default;
        Vector512<float> a50 = default, a51 = default, a52 = default, a53 = default;
        if (accumulate)
        {
            Load<TV>(c, out a00, out a01, out a02, out a03);
            Load<TV>(c + ldc, out a10, out a11, out a12, out a13);
            Load<TV>(c + 2 * ldc, out a20, out a21, out a22, out a23);
            Load<TV>(c + 3 * ldc, out a30, out a31, out a32, out a33);
            Load<TV>(c + 4 * ldc, out a40, out a41, out a42, out a43);
            Load<TV>(c + 5 * ldc, out a50, out a51, out a52, out a53);
        }
        for (int k0 = 0; k0 < depth; k0 += PrefetchSteps)
        {
            for (int i = 0; i < nextRows; i++)
                Sse.Prefetch1(next + i * nextStride + (long)k0 * nextBytesPerStep);
            for (int k = k0, end = Math.Min(depth, k0 + PrefetchSteps); k < end; k++, x += Tokens)
            {
                var x0 = Vector512.Load(x);
                var x1 = TV.Count > 1 ? Vector512.Load(x + 16) : default;
                var x2 = TV.Count > 2 ? Vector512.Load(x + 32) : default;
                var x3 = TV.Count > 3 ? Vector512.Load(x + 48) : default;
                Row<TV>(x0, x1, x2, x3, w0[k], ref a00, ref a01, ref a02, ref a03);
                Row<TV>(x0, x1, x2, x3, w1[k], ref a10, ref a11, ref a12, ref a13);
                Row<TV>(x0, x1, x2, x3, w2[k], ref a20, ref a21, ref a22, ref a23);
                Row<TV>(x0, x1, x2, x3, w3[k], ref a30, ref a31, ref a32, ref a33);
                Row<TV>(x0, x1, x2, x3, w4[k], ref a40, ref a41, ref a42, ref a43);
                Row<TV>(x0, x1, x2, x3, w5[k], ref a50, ref a51, ref a52, ref a53);
            }
        }
        Store<TV>(c, a00, a01, a02, a03);
        Store<TV>(c + ldc, a10, a11, a12, a13);
        Store<TV>(c + 2 * ldc, a20, a21, a22, a23);
        Store<TV>(c + 3 * ldc, a30, a31, a32, a33);
        Store<TV>(c + 4 * ldc, a40, a41, a42, a43);
        Store<TV>(c + 5 * ldc, a50, a51, a52, a53);
    }

    /// <summary>One weight row's step: its broadcast weight times the tile's token vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row<TV>(Vector512<float> x0, Vector512<float> x1, Vector512<float> x2, Vector512<float> x3, float weight,
        ref Vector512<float> a0, ref Vector512<float> a1, ref Vector512<float> a2, ref Vector512<float> a3) where TV : struct, ITileVectors
    {
        var b = Vector512.Create(weight);
        a0 = Vector512.FusedMultiplyAdd(x0, b, a0);
        if (TV.Count > 1) a1 = Vector512.FusedMultiplyAdd(x1, b, a1);
        if (TV.Count > 2) a2 = Vector512.FusedMultiplyAdd(x2, b, a2);
        if (TV.Count > 3) a3 = Vector512.FusedMultiplyAdd(x3, b, a3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Load<TV>(float* c, out Vector512<float> v0, out Vector512<float> v1, out Vector512<float> v2, out Vector512<float> v3)
        where TV : struct, ITileVectors
    {
        v0 = Vector512.Load(c);
        v1 = TV.Count > 1 ? Vector512.Load(c + 16) : default;
        v2 = TV.Count > 2 ? Vector512.Load(c + 32) : default;
        v3 = TV.Count > 3 ? Vector512.Load(c + 48) : default;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TV>(float* c, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3)
        where TV : struct, ITileVectors
    {
        v0.Store(c);
        if (TV.Count > 1) v1.Store(c + 16);
        if (TV.Count > 2) v2.Store(c + 32);
        if (TV.Count > 3) v3.Store(c + 48);
    }
}
