using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Ops;

/// <summary>
/// Float-weight prefill (F32, F16, BF16). On AVX-512: a packed GEMM — per slice of <see cref="DepthBlock"/> columns each
/// thread packs X token-interleaved (8 tokens per k) and a panel of 32 weight rows k-major (widened to F32 once), then a
/// register tile of 8 tokens × 32 rows (16 zmm accumulators) runs FMAs over the slice. Every output is one sequential
/// FMA chain over k, whatever the tiling or thread count. Narrower paths run a dot per (token, row) in token tiles.
/// </summary>
internal static unsafe class MatMulFloat
{
    private const int PanelRows = 32, TileTokens = 8, DepthBlock = 256;

    public static void Run<T>(in WeightMatrix w, ReadOnlySpan<float> x, Span<float> y, int tokens, ComputePool pool, IsaPath path)
        where T : struct, IFloatBlock
    {
        fixed (float* px = x)
        fixed (float* py = y)
        {
            if (path >= IsaPath.Avx512)
            {
                var job = new PackedJob<T> { W = w, X = px, Y = py, Tokens = tokens };
                pool.For(w.Rows, ref job, PanelRows);
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

    private struct PackedJob<T> : IRowJob where T : struct, IFloatBlock
    {
        public WeightMatrix W;
        public float* X;
        public float* Y;
        public int Tokens;

        public void Execute(int start, int end)
        {
            int columns = W.Columns, rows = W.Rows;
            int tiles = (Tokens + TileTokens - 1) / TileTokens;
            float* packedX = (float*)MatMulScratch.Get(0, (long)tiles * TileTokens * DepthBlock * sizeof(float));
            float* packedW = (float*)MatMulScratch.Get(1, PanelRows * DepthBlock * sizeof(float));
            float* edge = stackalloc float[PanelRows * TileTokens];
            for (int k0 = 0; k0 < columns; k0 += DepthBlock)
            {
                int depth = Math.Min(DepthBlock, columns - k0);
                PackTokens(X, columns, Tokens, k0, depth, packedX);
                for (int r0 = start; r0 < end; r0 += PanelRows)
                {
                    int panelRows = Math.Min(PanelRows, end - r0);
                    PackPanel<T>(W, r0, panelRows, k0, depth, packedW);
                    for (int tile = 0; tile < tiles; tile++)
                    {
                        int t0 = tile * TileTokens, n = Math.Min(TileTokens, Tokens - t0);
                        float* px = packedX + (long)tile * TileTokens * DepthBlock;
                        if (panelRows == PanelRows)
                            Kernel(packedW, px, depth, Y + (long)t0 * rows + r0, rows, n, k0 > 0);
                        else
                        {
                            // Partial panel: run the same tile into a scratch of 32 rows and keep the valid ones.
                            for (int i = 0; i < n; i++)
                                for (int r = 0; r < panelRows; r++)
                                    edge[i * PanelRows + r] = k0 > 0 ? Y[(long)(t0 + i) * rows + r0 + r] : 0;
                            Kernel(packedW, px, depth, edge, PanelRows, n, true);
                            for (int i = 0; i < n; i++)
                                for (int r = 0; r < panelRows; r++)
                                    Y[(long)(t0 + i) * rows + r0 + r] = edge[i * PanelRows + r];
                        }
                    }
                }
            }
        }
    }

    /// <summary>X[t, k0..k0+depth) into tiles of [k][8 tokens]; tokens past the end are zero.</summary>
    private static void PackTokens(float* x, int columns, int tokens, int k0, int depth, float* packed)
    {
        int tiles = (tokens + TileTokens - 1) / TileTokens;
        for (int tile = 0; tile < tiles; tile++)
        {
            float* dst = packed + (long)tile * TileTokens * DepthBlock;
            for (int i = 0; i < TileTokens; i++)
            {
                int t = tile * TileTokens + i;
                float* src = x + (long)t * columns + k0;
                if (t < tokens)
                    for (int k = 0; k < depth; k++)
                        dst[k * TileTokens + i] = src[k];
                else
                    for (int k = 0; k < depth; k++)
                        dst[k * TileTokens + i] = 0;
            }
        }
    }

    /// <summary>W[r0.., k0..k0+depth) widened to F32 as [k][32 rows]; rows past the panel are zero.</summary>
    private static void PackPanel<T>(in WeightMatrix w, int r0, int panelRows, int k0, int depth, float* packed) where T : struct, IFloatBlock
    {
        float* row = stackalloc float[DepthBlock];
        for (int r = 0; r < PanelRows; r++)
        {
            if (r < panelRows)
            {
                byte* src = (byte*)w.Data + (r0 + r) * w.RowBytes + (long)k0 * T.Bytes;
                int k = 0;
                for (; k + 16 <= depth; k += 16)
                    T.Load512(src + k * T.Bytes).Store(row + k);
                for (; k < depth; k++)
                    row[k] = T.Load(src + k * T.Bytes);
            }
            else
                new Span<float>(row, depth).Clear();
            for (int k = 0; k < depth; k++)
                packed[k * PanelRows + r] = row[k];
        }
    }

    /// <summary>C[i, 0..32) (+)= Σ_k X[i,k]·W[0..32, k] for the first <paramref name="n"/> of 8 packed tokens.</summary>
    // Fully optimized from the first call: the kernel runs millions of times per prefill and has nothing for PGO to learn.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel(float* w, float* x, int depth, float* c, int ldc, int n, bool accumulate)
    {
        Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
        Vector512<float> a40 = default, a41 = default, a50 = default, a51 = default, a60 = default, a61 = default, a70 = default, a71 = default;
        if (accumulate)
        {
            Load(c, 0, n, ldc, ref a00, ref a01); Load(c, 1, n, ldc, ref a10, ref a11);
            Load(c, 2, n, ldc, ref a20, ref a21); Load(c, 3, n, ldc, ref a30, ref a31);
            Load(c, 4, n, ldc, ref a40, ref a41); Load(c, 5, n, ldc, ref a50, ref a51);
            Load(c, 6, n, ldc, ref a60, ref a61); Load(c, 7, n, ldc, ref a70, ref a71);
        }
        for (int k = 0; k < depth; k++, w += PanelRows, x += TileTokens)
        {
            var w0 = Vector512.Load(w);
            var w1 = Vector512.Load(w + 16);
            var b = Vector512.Create(x[0]); a00 = Vector512.FusedMultiplyAdd(w0, b, a00); a01 = Vector512.FusedMultiplyAdd(w1, b, a01);
            b = Vector512.Create(x[1]); a10 = Vector512.FusedMultiplyAdd(w0, b, a10); a11 = Vector512.FusedMultiplyAdd(w1, b, a11);
            b = Vector512.Create(x[2]); a20 = Vector512.FusedMultiplyAdd(w0, b, a20); a21 = Vector512.FusedMultiplyAdd(w1, b, a21);
            b = Vector512.Create(x[3]); a30 = Vector512.FusedMultiplyAdd(w0, b, a30); a31 = Vector512.FusedMultiplyAdd(w1, b, a31);
            b = Vector512.Create(x[4]); a40 = Vector512.FusedMultiplyAdd(w0, b, a40); a41 = Vector512.FusedMultiplyAdd(w1, b, a41);
            b = Vector512.Create(x[5]); a50 = Vector512.FusedMultiplyAdd(w0, b, a50); a51 = Vector512.FusedMultiplyAdd(w1, b, a51);
            b = Vector512.Create(x[6]); a60 = Vector512.FusedMultiplyAdd(w0, b, a60); a61 = Vector512.FusedMultiplyAdd(w1, b, a61);
            b = Vector512.Create(x[7]); a70 = Vector512.FusedMultiplyAdd(w0, b, a70); a71 = Vector512.FusedMultiplyAdd(w1, b, a71);
        }
        Store(c, 0, n, ldc, a00, a01); Store(c, 1, n, ldc, a10, a11); Store(c, 2, n, ldc, a20, a21); Store(c, 3, n, ldc, a30, a31);
        Store(c, 4, n, ldc, a40, a41); Store(c, 5, n, ldc, a50, a51); Store(c, 6, n, ldc, a60, a61); Store(c, 7, n, ldc, a70, a71);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Load(float* c, int i, int n, int ldc, ref Vector512<float> lo, ref Vector512<float> hi)
    {
        if (i >= n)
            return;
        lo = Vector512.Load(c + (long)i * ldc);
        hi = Vector512.Load(c + (long)i * ldc + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, int i, int n, int ldc, Vector512<float> lo, Vector512<float> hi)
    {
        if (i >= n)
            return;
        lo.Store(c + (long)i * ldc);
        hi.Store(c + (long)i * ldc + 16);
    }
}
