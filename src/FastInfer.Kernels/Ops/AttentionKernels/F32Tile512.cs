using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastInfer.Kernels.Ops.AttentionKernels;

/// <summary>
/// One head against a tile of consecutive F32 cache rows with AVX-512, for head sizes that are whole vectors.
/// Calling a general dot and axpy per (position, head) cost more than the arithmetic at head sizes of 48–128;
/// here four positions' dot products run side by side, and each output vector stays in a register while the
/// tile's values are added into it.
/// </summary>
internal static unsafe class F32Tile512
{
    public static bool Fits(int headDim) => headDim % 16 == 0 && Vector512.IsHardwareAccelerated && Sse3.IsSupported;

    /// <summary>scores[t] = scale · (q · row t) for rows at key, key + stride, … (stride in floats).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scores(float* q, float* key, long stride, int count, int headDim, float scale, float* scores)
    {
        int t = 0;
        for (; t + 4 <= count; t += 4)
        {
            float* k0 = key + t * stride, k1 = k0 + stride, k2 = k1 + stride, k3 = k2 + stride;
            var a0 = Vector512<float>.Zero;
            var a1 = a0;
            var a2 = a0;
            var a3 = a0;
            for (int i = 0; i < headDim; i += 16)
            {
                var qv = Vector512.Load(q + i);
                a0 = Vector512.FusedMultiplyAdd(qv, Vector512.Load(k0 + i), a0);
                a1 = Vector512.FusedMultiplyAdd(qv, Vector512.Load(k1 + i), a1);
                a2 = Vector512.FusedMultiplyAdd(qv, Vector512.Load(k2 + i), a2);
                a3 = Vector512.FusedMultiplyAdd(qv, Vector512.Load(k3 + i), a3);
            }
            // Four horizontal sums at once: fold each to 128 bits, then two rounds of pairwise adds.
            var h01 = Sse3.HorizontalAdd(Fold(a0), Fold(a1));
            var h23 = Sse3.HorizontalAdd(Fold(a2), Fold(a3));
            (Sse3.HorizontalAdd(h01, h23) * Vector128.Create(scale)).Store(scores + t);
        }
        for (; t < count; t++)
        {
            float* k0 = key + t * stride;
            var a0 = Vector512<float>.Zero;
            for (int i = 0; i < headDim; i += 16)
                a0 = Vector512.FusedMultiplyAdd(Vector512.Load(q + i), Vector512.Load(k0 + i), a0);
            var h = Fold(a0);
            h = Sse3.HorizontalAdd(h, h);
            scores[t] = Sse3.HorizontalAdd(h, h).ToScalar() * scale;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Fold(Vector512<float> a)
    {
        var half = a.GetLower() + a.GetUpper();
        return half.GetLower() + half.GetUpper();
    }

    /// <summary>o += Σ weights[t] · row t, position by position in order, one output vector at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Accumulate(float* o, float* value, long stride, float* weights, int count, int headDim)
    {
        for (int i = 0; i < headDim; i += 16)
        {
            var acc = Vector512.Load(o + i);
            float* row = value + i;
            for (int t = 0; t < count; t++, row += stride)
                acc = Vector512.FusedMultiplyAdd(Vector512.Create(weights[t]), Vector512.Load(row), acc);
            acc.Store(o + i);
        }
    }
}
