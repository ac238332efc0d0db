using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastInfer.Kernels.Ops.FloatGemm;

/// <summary>
/// The AVX2 register tile: 4 weight rows × up to 24 tokens, 12 ymm accumulators, three token vectors and one broadcast
/// weight: all 16 registers. The layout is <see cref="FloatTile512"/>'s (tokens along the vectors, weights broadcast, so
/// F32 weights are read in place), as is the arithmetic: every output is one FMA chain over k, continued across depth
/// blocks through the stored partial sum, so its bits do not depend on the tiling, the thread count, or which of the
/// two tiles ran it.
/// </summary>
/// <remarks>
/// Chosen in a scratch loop over L1-resident data on this project's Zen 3 (AVX2, no AVX-512): 4 rows × 3 vectors came
/// closest to the Vector256 FMA peak, 6 rows × 2 vectors (the 512-bit tile's row count, more broadcasts per FMA) ran
/// below it, and 3 rows × 4 vectors, which needs a 17th register, far below.
/// </remarks>
internal static unsafe class FloatTile256
{
    public const int Rows = 4;
    public const int Tokens = 24;

    /// <summary>Steps of k between two rounds of prefetches: 16 F32 weights fill one cache line.</summary>
    private const int PrefetchSteps = 16;

    /// <summary>
    /// Cᵀ[i, 0..8·V) (+)= Σ_k W[i, k] · X[k, 0..8·V) for rows i &lt; <paramref name="rows"/> (further rows repeat the last
    /// one and their results are to be ignored). W row i starts at <paramref name="w"/> + i·<paramref name="wStride"/>;
    /// X is packed [k][<see cref="Tokens"/>]; Cᵀ row i starts at <paramref name="c"/> + i·<paramref name="ldc"/>.
    /// <paramref name="next"/> (<paramref name="nextRows"/> rows <paramref name="nextStride"/> bytes apart,
    /// <paramref name="nextBytesPerStep"/> bytes per k) is fetched toward L2 a line per row every 16 steps, as
    /// <see cref="FloatTile512"/> does.
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
        Vector256<float> a00 = default, a01 = default, a02 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default;
        Vector256<float> a30 = default, a31 = default, a32 = default;
        if (accumulate)
        {
            Load<TV>(c, out a00, out a01, out a02);
            Load<TV>(c + ldc, out a10, out a11, out a12);
            Load<TV>(c + 2 * ldc, out a20, out a21, out a22);
            Load<TV>(c + 3 * ldc, out a30, out a31, out a32);
        }
        // Four steps a pass with a native-width index: the weights' offsets become displacements and the loop's own count,
        // compare and pointer moves are paid once per 48 FMAs instead of per 12. On a host whose other tenants share the
        // core's dispatch, the tile's throughput follows its instruction count, not its FMA count (the FMA-only peak holds
        // while any loop with loads or integer work beside its FMAs swings), so every instruction that is not an FMA,
        // load or broadcast costs here (docs/performance-log.md, session 20).
        for (nint k0 = 0; k0 < depth; k0 += PrefetchSteps)
        {
            for (int i = 0; i < nextRows; i++)
                Sse.Prefetch1(next + i * nextStride + (long)k0 * nextBytesPerStep);
            nint end = Math.Min(depth, (int)k0 + PrefetchSteps), k = k0;
            for (nint lastFour = end - 3; k < lastFour; k += 4, x += 4 * Tokens)
            {
                Step<TV>(x, w0 + k, w1 + k, w2 + k, w3 + k, 0, ref a00, ref a01, ref a02, ref a10, ref a11, ref a12, ref a20, ref a21, ref a22, ref a30, ref a31, ref a32);
                Step<TV>(x, w0 + k, w1 + k, w2 + k, w3 + k, 1, ref a00, ref a01, ref a02, ref a10, ref a11, ref a12, ref a20, ref a21, ref a22, ref a30, ref a31, ref a32);
                Step<TV>(x, w0 + k, w1 + k, w2 + k, w3 + k, 2, ref a00, ref a01, ref a02, ref a10, ref a11, ref a12, ref a20, ref a21, ref a22, ref a30, ref a31, ref a32);
                Step<TV>(x, w0 + k, w1 + k, w2 + k, w3 + k, 3, ref a00, ref a01, ref a02, ref a10, ref a11, ref a12, ref a20, ref a21, ref a22, ref a30, ref a31, ref a32);
            }
            for (; k < end; k++, x += Tokens)
                Step<TV>(x, w0 + k, w1 + k, w2 + k, w3 + k, 0, ref a00, ref a01, ref a02, ref a10, ref a11, ref a12, ref a20, ref a21, ref a22, ref a30, ref a31, ref a32);
        }
        Store<TV>(c, a00, a01, a02);
        Store<TV>(c + ldc, a10, a11, a12);
        Store<TV>(c + 2 * ldc, a20, a21, a22);
        Store<TV>(c + 3 * ldc, a30, a31, a32);
    }

    /// <summary>Step <paramref name="j"/> (a constant where inlined) past <paramref name="x"/> and the four rows' pointers: each row's
    /// broadcast weight times the tile's token vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<TV>(float* x, float* w0, float* w1, float* w2, float* w3, int j,
        ref Vector256<float> a00, ref Vector256<float> a01, ref Vector256<float> a02,
        ref Vector256<float> a10, ref Vector256<float> a11, ref Vector256<float> a12,
        ref Vector256<float> a20, ref Vector256<float> a21, ref Vector256<float> a22,
        ref Vector256<float> a30, ref Vector256<float> a31, ref Vector256<float> a32) where TV : struct, ITileVectors
    {
        float* xj = x + j * Tokens;
        var x0 = Vector256.Load(xj);
        var x1 = TV.Count > 1 ? Vector256.Load(xj + 8) : default;
        var x2 = TV.Count > 2 ? Vector256.Load(xj + 16) : default;
        Row<TV>(x0, x1, x2, w0[j], ref a00, ref a01, ref a02);
        Row<TV>(x0, x1, x2, w1[j], ref a10, ref a11, ref a12);
        Row<TV>(x0, x1, x2, w2[j], ref a20, ref a21, ref a22);
        Row<TV>(x0, x1, x2, w3[j], ref a30, ref a31, ref a32);
    }

    /// <summary>One weight row's step: its broadcast weight times the tile's token vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row<TV>(Vector256<float> x0, Vector256<float> x1, Vector256<float> x2, float weight,
        ref Vector256<float> a0, ref Vector256<float> a1, ref Vector256<float> a2) where TV : struct, ITileVectors
    {
        var b = Vector256.Create(weight);
        a0 = Vector256.FusedMultiplyAdd(x0, b, a0);
        if (TV.Count > 1) a1 = Vector256.FusedMultiplyAdd(x1, b, a1);
        if (TV.Count > 2) a2 = Vector256.FusedMultiplyAdd(x2, b, a2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Load<TV>(float* c, out Vector256<float> v0, out Vector256<float> v1, out Vector256<float> v2)
        where TV : struct, ITileVectors
    {
        v0 = Vector256.Load(c);
        v1 = TV.Count > 1 ? Vector256.Load(c + 8) : default;
        v2 = TV.Count > 2 ? Vector256.Load(c + 16) : default;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TV>(float* c, Vector256<float> v0, Vector256<float> v1, Vector256<float> v2)
        where TV : struct, ITileVectors
    {
        v0.Store(c);
        if (TV.Count > 1) v1.Store(c + 8);
        if (TV.Count > 2) v2.Store(c + 16);
    }
}
