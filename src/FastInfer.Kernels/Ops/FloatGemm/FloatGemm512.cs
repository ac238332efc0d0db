using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Ops.FloatGemm;

/// <summary>
/// Y = X·Wᵀ for float weights on AVX-512, blocked for the caches. Per chunk of <see cref="ChunkTokens"/> tokens, the pool
/// first packs X once, transposed into tiles of [k][64 tokens] (<see cref="TokenPacking"/>); then each thread takes a
/// contiguous range of weight rows and, per block of <see cref="BlockRows"/> rows, walks the depth in slices of
/// <see cref="DepthBlock"/>: the slice's rows are read in place (F32) or widened (F16/BF16) once into a contiguous scratch,
/// while the micro-kernel prefetches the next slice a few lines at a time, and every 64-token tile of X (32 KiB, held in L1) meets each 6-row panel of the slice in
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
                    // F32 weights are read in place: at these strides a row's line serves 16 steps and is fetched well
                    // ahead, so the occasional L1 set conflict with the X tile (rows a power of two apart share a set)
                    // costs less than copying the slice. F16/BF16 are widened once per slice into the scratch.
                    bool inPlace = typeof(T) == typeof(BlockF32);
                    if (!inPlace)
                        Widen<T>(r0, rows, k0, depth, weights);
                    long stride = inPlace ? W.RowBytes / sizeof(float) : DepthBlock;
                    float* slice = inPlace ? (float*)Source<T>(r0, k0) : weights;
                    float* blockX = Packed + block * Tiles * tileFloats;
                    for (int tile = 0; tile < Tiles; tile++)
                    {
                        int vectors = Math.Min(4, (Tokens - tile * FloatTile512.Tokens + 15) / 16);
                        float* tileX = blockX + tile * tileFloats;
                        for (int p = 0; p < rows; p += FloatTile512.Rows)
                        {
                            float* c = outputs + p * ldc + tile * FloatTile512.Tokens;
                            int panelRows = Math.Min(FloatTile512.Rows, rows - p);
                            float* panel = slice + p * stride;
                            // The first tile fetches the next slice's weights toward L2 while it computes, so their reads (or
                            // copy) do not wait for memory: the same panel of the next depth slice, or of the next row block.
                            // A packed copy's slices are not rows at a stride, so nothing is fetched for it: its widening
                            // reads runs of 1 KiB (four rows' four 32-column pieces), which the hardware prefetcher follows.
                            bool fetches = tile == 0 && !W.IsPacked;
                            byte* next = (byte*)panel;
                            int nextRows = 1;
                            if (fetches && k0 + DepthBlock < columns)
                            {
                                next = Source<T>(r0 + p, k0 + DepthBlock);
                                nextRows = panelRows;
                            }
                            else if (fetches && r0 + BlockRows + p < end)
                            {
                                next = Source<T>(r0 + BlockRows + p, 0);
                                nextRows = Math.Min(FloatTile512.Rows, end - r0 - BlockRows - p);
                            }
                            switch (vectors)
                            {
                                case 4: FloatTile512.Multiply<FourVectors>(panel, stride, panelRows, tileX, depth, c, ldc, block > 0, next, W.RowBytes, nextRows, T.Bytes); break;
                                case 3: FloatTile512.Multiply<ThreeVectors>(panel, stride, panelRows, tileX, depth, c, ldc, block > 0, next, W.RowBytes, nextRows, T.Bytes); break;
                                case 2: FloatTile512.Multiply<TwoVectors>(panel, stride, panelRows, tileX, depth, c, ldc, block > 0, next, W.RowBytes, nextRows, T.Bytes); break;
                                default: FloatTile512.Multiply<OneVector>(panel, stride, panelRows, tileX, depth, c, ldc, block > 0, next, W.RowBytes, nextRows, T.Bytes); break;
                            }
                        }
                    }
                }
                TokenPacking.Unpack(outputs, ldc, rows, Tokens, Y + r0, W.Rows);
            }
        }

        private readonly byte* Source<TBlock>(int row, int k0) where TBlock : struct, IFloatBlock
            => (byte*)W.Data + row * W.RowBytes + (long)k0 * TBlock.Bytes;

        /// <summary>Rows [r0, r0 + rows) × columns [k0, k0 + depth) widened to F32, row i at wide + i·<see cref="DepthBlock"/>;
        /// from the packed copy where the matrix has one (<see cref="PackedHalfFloat"/>, whose 32-column pieces the depth
        /// blocks, multiples of 32, never split).</summary>
        private readonly void Widen<TBlock>(int r0, int rows, int k0, int depth, float* wide) where TBlock : struct, IFloatBlock
        {
            if (W.IsPacked)
            {
                // Each piece read asks for the piece the next widening reads in its place (the next depth slice of the
                // row, or after the last slice the first of the row a block further on), toward L2: the tile runs
                // between the two widenings, time enough for the lines to arrive. In trial runs outside the repository (a
                // 4096×4096 matrix, 128 and 512 tokens, two threads, both layouts alternated in one process), F16 and BF16
                // prefill over the packed copy was clearly slower than over the file's rows without these requests, and
                // close to it with them (a whole model's prefill: README.md).
                var view = W.Packed;
                bool lastSlice = k0 + DepthBlock >= W.Columns;
                for (int r = 0; r < rows; r++)
                {
                    float* dst = wide + r * DepthBlock;
                    int nextRow = lastSlice ? r0 + r + BlockRows : r0 + r;
                    bool fetches = nextRow < W.Rows;
                    // A row's pieces follow one another a step apart, so each row's first piece is located once.
                    byte* piece = PackedHalfFloat.Piece(view, r0 + r, k0);
                    byte* next = fetches ? PackedHalfFloat.Piece(view, nextRow, lastSlice ? 0 : k0 + DepthBlock) : null;
                    for (int k = 0; k < depth; k += PackedHalfFloat.StepColumns, piece += PackedHalfFloat.StepBytes, next += PackedHalfFloat.StepBytes)
                    {
                        if (fetches)
                            Sse.Prefetch1(next);
                        TBlock.Load512(piece).Store(dst + k);
                        TBlock.Load512(piece + 16 * TBlock.Bytes).Store(dst + k + 16);
                    }
                }
                return;
            }
            for (int r = 0; r < rows; r++)
            {
                byte* src = Source<TBlock>(r0 + r, k0);
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
