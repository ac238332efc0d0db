using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Ops.FloatGemm;

/// <summary>
/// Y = X·Wᵀ for float weights on AVX-512, blocked for the caches. Per chunk of <see cref="ChunkTokens"/> tokens, the pool
/// first packs X once, transposed into tiles of [k][64 tokens] (<see cref="TokenPacking"/>); then each thread takes a
/// contiguous range of weight rows and, per block of <see cref="BlockRows"/> rows, walks the depth in slices of
/// <see cref="DepthBlock"/>: the slice's rows are copied (F32) or widened (F16/BF16) once into a contiguous scratch while
/// the next slice is prefetched, and every 64-token tile of X (32 KiB, held in L1) meets each 6-row panel of the slice in
/// <see cref="FloatTile512"/>. The block's outputs collect transposed in a per-thread scratch (small enough for L2) and
/// are written out once the depth is done.
/// </summary>
internal static unsafe class FloatGemm512
{
    public const int DepthBlock = 128, BlockRows = 192, ChunkTokens = 256;

    public static void Run<T>(in WeightMatrix w, float* x, float* y, int tokens, ComputePool pool) where T : struct, IFloatBlock
    {
        int columns = w.Columns;
        int depthBlocks = (columns + DepthBlock - 1) / DepthBlock;
        for (int t0 = 0; t0 < tokens; t0 += ChunkTokens)
        {
            int chunk = Math.Min(ChunkTokens, tokens - t0);
            int tiles = (chunk + FloatTile512.Tokens - 1) / FloatTile512.Tokens;
            // Slot 0 of the caller's scratch: the pool's shares use slots 1 and 2 (the caller runs share 0 itself).
            float* packed = (float*)MatMulScratch.Get(0, (long)depthBlocks * tiles * TokenPacking.TileFloats(DepthBlock) * sizeof(float));
            var pack = new TokenPacking.Job { X = x + (long)t0 * columns, Columns = columns, Tokens = chunk, Packed = packed, DepthBlock = DepthBlock };
            pool.For(tiles, ref pack, 1, (long)chunk * columns * sizeof(float));
            var job = new RowsJob<T> { W = w, Packed = packed, Y = y + (long)t0 * w.Rows, Tokens = chunk, Tiles = tiles };
            pool.For(w.Rows, ref job, FloatTile512.Rows);
        }
    }

    private struct RowsJob<T> : IRowJob where T : struct, IFloatBlock
    {
        public WeightMatrix W;
        public float* Packed;
        public float* Y;
        public int Tokens, Tiles;

        public readonly void Execute(int start, int end)
        {
            int columns = W.Columns, ldc = Tiles * FloatTile512.Tokens;
            float* outputs = (float*)MatMulScratch.Get(1, (long)BlockRows * ldc * sizeof(float));
            float* weights = (float*)MatMulScratch.Get(2, (long)BlockRows * DepthBlock * sizeof(float));
            long tileFloats = TokenPacking.TileFloats(DepthBlock);
            for (int r0 = start; r0 < end; r0 += BlockRows)
            {
                int rows = Math.Min(BlockRows, end - r0);
                for (int k0 = 0, block = 0; k0 < columns; k0 += DepthBlock, block++)
                {
                    int depth = Math.Min(DepthBlock, columns - k0);
                    // Copied even for F32: rows a power-of-two apart would all fall into the same few L1 sets.
                    Widen<T>(r0, rows, k0, depth, weights);
                    const long stride = DepthBlock;
                    float* blockX = Packed + block * Tiles * tileFloats;
                    for (int tile = 0; tile < Tiles; tile++)
                    {
                        int vectors = Math.Min(4, (Tokens - tile * FloatTile512.Tokens + 15) / 16);
                        float* tileX = blockX + tile * tileFloats;
                        for (int p = 0; p < rows; p += FloatTile512.Rows)
                        {
                            float* c = outputs + p * ldc + tile * FloatTile512.Tokens;
                            int panelRows = Math.Min(FloatTile512.Rows, rows - p);
                            float* panel = weights + p * stride;
                            if (tile == 0)
                            {
                                // Fetch the next slice's weights into L2 while this one computes, so its copy does not
                                // wait for memory: the same panel of the next depth slice, or of the next row block.
                                if (k0 + DepthBlock < columns)
                                    Prefetch<T>(r0 + p, panelRows, k0 + DepthBlock);
                                else if (r0 + BlockRows + p < end)
                                    Prefetch<T>(r0 + BlockRows + p, Math.Min(FloatTile512.Rows, end - r0 - BlockRows - p), 0);
                            }
                            switch (vectors)
                            {
                                case 4: FloatTile512.Multiply<FourVectors>(panel, stride, panelRows, tileX, depth, c, ldc, block > 0); break;
                                case 3: FloatTile512.Multiply<ThreeVectors>(panel, stride, panelRows, tileX, depth, c, ldc, block > 0); break;
                                case 2: FloatTile512.Multiply<TwoVectors>(panel, stride, panelRows, tileX, depth, c, ldc, block > 0); break;
                                default: FloatTile512.Multiply<OneVector>(panel, stride, panelRows, tileX, depth, c, ldc, block > 0); break;
                            }
                        }
                    }
                }
                TokenPacking.Unpack(outputs, ldc, rows, Tokens, Y + r0, W.Rows);
            }
        }

        private readonly void Prefetch<TBlock>(int r0, int rows, int k0) where TBlock : struct, IFloatBlock
        {
            int bytes = Math.Min(DepthBlock, W.Columns - k0) * TBlock.Bytes;
            for (int r = 0; r < rows; r++)
            {
                byte* src = (byte*)W.Data + (r0 + r) * W.RowBytes + (long)k0 * TBlock.Bytes;
                for (int offset = 0; offset < bytes; offset += 64)
                    Sse.Prefetch1(src + offset);
            }
        }

        /// <summary>Rows [r0, r0 + rows) × columns [k0, k0 + depth) widened to F32, row i at wide + i·<see cref="DepthBlock"/>.</summary>
        private readonly void Widen<TBlock>(int r0, int rows, int k0, int depth, float* wide) where TBlock : struct, IFloatBlock
        {
            for (int r = 0; r < rows; r++)
            {
                byte* src = (byte*)W.Data + (r0 + r) * W.RowBytes + (long)k0 * TBlock.Bytes;
                float* dst = wide + r * DepthBlock;
                int k = 0;
                for (; k + 16 <= depth; k += 16)
                    TBlock.Load512(src + k * TBlock.Bytes).Store(dst + k);
                for (; k < depth; k++)
                    dst[k] = TBlock.Load(src + k * TBlock.Bytes);
            }
        }
    }
}
