using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Blocks.Simd;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Quantization;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Ops;

/// <summary>
/// Quantized-weight prefill: every token's activations are quantized once to 8-bit blocks; then, per chunk of
/// <see cref="TokenChunk"/> tokens (whose activations stay in L2), each thread walks its rows in tiles of 4 rows × 4
/// tokens (16 accumulators), so each weight block is fetched once per chunk and reused from L1 by four tokens.
/// On the 256-bit paths every (row, token) output is one accumulator over blocks whatever the tile, so edges match.
/// </summary>
internal static unsafe class MatMulInteger
{
    private const int TokenChunk = 64, Tile = 4;

    public static void Run<TW, TA>(in WeightMatrix w, ReadOnlySpan<float> x, Span<float> y, int tokens, ComputePool pool, IsaPath path)
        where TW : struct, IIntegerDotBlock<TA> where TA : struct, IQuantizableBlock
        => Run<TW, TA, SeparateTokens<TW, TA>>(w, x, y, tokens, pool, path);

    /// <summary>For block types that unpack a weight block once for four tokens.</summary>
    public static void RunShared<TW, TA>(in WeightMatrix w, ReadOnlySpan<float> x, Span<float> y, int tokens, ComputePool pool, IsaPath path)
        where TW : struct, ITokenTileBlock<TA> where TA : struct, IQuantizableBlock
        => Run<TW, TA, SharedUnpack<TW, TA>>(w, x, y, tokens, pool, path);

    private static void Run<TW, TA, TTile>(in WeightMatrix w, ReadOnlySpan<float> x, Span<float> y, int tokens, ComputePool pool, IsaPath path)
        where TW : struct, IIntegerDotBlock<TA> where TA : struct, IQuantizableBlock where TTile : struct, ITokenTile
    {
        int blocks = w.Columns / TA.Elements;
        long activationRow = (long)blocks * TA.Bytes;
        byte* activations = MatMulScratch.Get(2, tokens * activationRow);
        fixed (float* px = x)
        fixed (float* py = y)
        {
            ActivationQuantizer.QuantizeTokens<TA>(px, w.Columns, activations, activationRow, tokens, pool);
            if (RowDot.UsesVnni(path))
                Go<TW, TA, VnniDot256, TTile>(w, activations, activationRow, blocks, py, tokens, pool, path);
            else
                Go<TW, TA, Avx2Dot256, TTile>(w, activations, activationRow, blocks, py, tokens, pool, path);
        }
    }

    private static void Go<TW, TA, TDot, TTile>(in WeightMatrix w, byte* a, long activationRow, int blocks, float* y, int tokens, ComputePool pool, IsaPath path)
        where TW : struct, IIntegerDotBlock<TA> where TA : struct, IQuantizableBlock where TDot : struct, IInt8Dot256 where TTile : struct, ITokenTile
    {
        var job = new Job<TW, TA, TDot, TTile> { W = w, A = a, ActivationRow = activationRow, Blocks = blocks, Y = y, Tokens = tokens, Path = path };
        pool.For(w.Rows, ref job, 16);
    }

    private struct Job<TW, TA, TDot, TTile> : IRowJob
        where TW : struct, IIntegerDotBlock<TA> where TA : struct, IQuantizableBlock where TDot : struct, IInt8Dot256 where TTile : struct, ITokenTile
    {
        public WeightMatrix W;
        public byte* A;
        public long ActivationRow;
        public int Blocks;
        public float* Y;
        public int Tokens;
        public IsaPath Path;

        public void Execute(int start, int end)
        {
            bool tiled = Path >= IsaPath.Avx2;
            for (int c0 = 0; c0 < Tokens; c0 += TokenChunk)
            {
                int c1 = Math.Min(Tokens, c0 + TokenChunk);
                int r = start;
                if (tiled)
                {
                    for (; r + Tile <= end; r += Tile)
                    {
                        int t = c0;
                        for (; t + Tile <= c1; t += Tile)
                            Tile4x4(r, t);
                        for (; t < c1; t++)
                            for (int i = 0; i < Tile; i++)
                                Single(r + i, t);
                    }
                }
                for (; r < end; r++)
                    for (int t = c0; t < c1; t++)
                        Single(r, t);
            }
        }

        private readonly void Single(int r, int t)
        {
            byte* w = (byte*)W.Data + r * W.RowBytes;
            byte* a = A + t * ActivationRow;
            float result;
            if (Path >= IsaPath.Avx2)
            {
                var acc = Vector256<float>.Zero;
                for (int b = 0; b < Blocks; b++)
                    acc = TW.Dot256<TDot>(w + b * TW.Bytes, a + b * TA.Bytes, acc);
                result = Vector256.Sum(acc);
            }
            else
                result = RowDot.Integer<TW, TA>(w, a, Blocks, Path);
            Y[(long)t * W.Rows + r] = result;
        }

        private readonly void Tile4x4(int r, int t)
        {
            byte* w0 = (byte*)W.Data + r * W.RowBytes;
            byte* w1 = w0 + W.RowBytes, w2 = w1 + W.RowBytes, w3 = w2 + W.RowBytes;
            byte* a0 = A + t * ActivationRow;
            byte* a1 = a0 + ActivationRow, a2 = a1 + ActivationRow, a3 = a2 + ActivationRow;
            Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default;
            Vector256<float> c10 = default, c11 = default, c12 = default, c13 = default;
            Vector256<float> c20 = default, c21 = default, c22 = default, c23 = default;
            Vector256<float> c30 = default, c31 = default, c32 = default, c33 = default;
            for (int b = 0; b < Blocks; b++)
            {
                TTile.Dot4<TDot>(w0, a0, a1, a2, a3, ref c00, ref c01, ref c02, ref c03);
                TTile.Dot4<TDot>(w1, a0, a1, a2, a3, ref c10, ref c11, ref c12, ref c13);
                TTile.Dot4<TDot>(w2, a0, a1, a2, a3, ref c20, ref c21, ref c22, ref c23);
                TTile.Dot4<TDot>(w3, a0, a1, a2, a3, ref c30, ref c31, ref c32, ref c33);
                w0 += TW.Bytes; w1 += TW.Bytes; w2 += TW.Bytes; w3 += TW.Bytes;
                a0 += TA.Bytes; a1 += TA.Bytes; a2 += TA.Bytes; a3 += TA.Bytes;
            }
            float* y = Y + (long)t * W.Rows + r;
            long ld = W.Rows;
            y[0] = Vector256.Sum(c00); y[1] = Vector256.Sum(c10); y[2] = Vector256.Sum(c20); y[3] = Vector256.Sum(c30);
            y += ld;
            y[0] = Vector256.Sum(c01); y[1] = Vector256.Sum(c11); y[2] = Vector256.Sum(c21); y[3] = Vector256.Sum(c31);
            y += ld;
            y[0] = Vector256.Sum(c02); y[1] = Vector256.Sum(c12); y[2] = Vector256.Sum(c22); y[3] = Vector256.Sum(c32);
            y += ld;
            y[0] = Vector256.Sum(c03); y[1] = Vector256.Sum(c13); y[2] = Vector256.Sum(c23); y[3] = Vector256.Sum(c33);
        }
    }
}
