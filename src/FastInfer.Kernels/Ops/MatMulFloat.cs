using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops.FloatGemm;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Ops;

/// <summary>
/// Float-weight prefill (F32, F16, BF16). On AVX-512 and AVX2: the cache-blocked GEMM of <see cref="FloatGemm.FloatGemm"/>
/// (<see cref="FloatGemm512"/>, <see cref="FloatGemm256"/>), in which every output is one sequential FMA chain over k,
/// whatever the tiling, the thread count or the width. The 128-bit and scalar paths run a dot per (token, row) in token tiles.
/// </summary>
internal static unsafe class MatMulFloat
{
    public static void Run<T>(in WeightMatrix w, ReadOnlySpan<float> x, Span<float> y, int tokens, ComputePool pool, IsaPath path)
        where T : struct, IFloatBlock
    {
        fixed (float* px = x)
        fixed (float* py = y)
        {
            if (path >= IsaPath.Avx512)
            {
                FloatGemm.FloatGemm.Run<FloatGemm512, T>(w, px, py, tokens, pool);
            }
            else if (path == IsaPath.Avx2)
            {
                FloatGemm.FloatGemm.Run<FloatGemm256, T>(w, px, py, tokens, pool);
            }
            else
            {
                var job = new DotJob<T> { W = w, X = px, Y = py, Tokens = tokens, Path = path };
                pool.For(w.Rows, ref job, 16);
            }
        }
    }

    private struct DotJob<T> : IRowJob where T : struct, IFloatBlock
    {
        public WeightMatrix W;
        public float* X;
        public float* Y;
        public int Tokens;
        public IsaPath Path;

        public void Execute(int start, int end)
        {
            const int TokenChunk = 16; // rows of a chunk stay in L1/L2 while 16 tokens pass over them
            for (int t0 = 0; t0 < Tokens; t0 += TokenChunk)
                for (int r = start; r < end; r++)
                    for (int t = t0; t < Math.Min(Tokens, t0 + TokenChunk); t++)
                        Y[(long)t * W.Rows + r] = RowDot.Float<T>((byte*)W.Data + r * W.RowBytes, X + (long)t * W.Columns, W.Columns, Path);
        }
    }
}
