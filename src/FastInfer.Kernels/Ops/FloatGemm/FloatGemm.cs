using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Ops.FloatGemm;

/// <summary>
/// Y = X·Wᵀ for float weights, blocked for the caches around the register tile of a vector width
/// (<typeparamref name="TShape"/>: <see cref="FloatGemm512"/>, <see cref="FloatGemm256"/>). Per chunk of
/// ChunkTokens tokens, the pool first packs X once, transposed into tiles of [k][TileTokens] (<see cref="TokenPacking"/>;
/// the tokens are shared out among the tiles by <see cref="TokenTiles"/>);
/// then each thread takes a contiguous range of weight rows and, per block of BlockRows rows, walks the depth in slices
/// of DepthBlock: the slice's rows are read in place (F32) or widened (F16/BF16) once into a contiguous scratch, while
/// the micro-kernel prefetches the next slice a few lines at a time, and every token tile of X (held in L1) meets each
/// panel of the slice in the register tile. The block's outputs collect transposed in a per-thread scratch (small enough
/// for L2) and are written out once the depth is done. Every output is one FMA chain over k, so neither the blocking nor
/// the thread count nor the shape changes its bits.
/// </summary>
/// <remarks>
/// The skeleton is shared and the register tiles are not: the tiles differ in shape (6 rows × 4 zmm against
/// 4 rows × 3 ymm, each what its register file holds best), and the 512-bit tile's hot loop cannot be disassembled or
/// timed on a machine without AVX-512, so it stays as it was measured rather than rewritten over a generic width.
/// </remarks>
internal static unsafe class FloatGemm
{
    public static void Run<TShape, T>(in WeightMatrix w, float* x, float* y, int tokens, ComputePool pool)
        where TShape : struct, IFloatGemmShape where T : struct, IFloatBlock
    {
        int columns = w.Columns;
        int depthBlocks = (columns + TShape.DepthBlock - 1) / TShape.DepthBlock;
        long tileFloats = (long)TShape.DepthBlock * TShape.TileTokens;
        for (int t0 = 0; t0 < tokens; t0 += TShape.ChunkTokens)
        {
            int chunk = Math.Min(TShape.ChunkTokens, tokens - t0);
            var tiles = new TokenTiles(chunk, TShape.Lanes, TShape.TileTokens / TShape.Lanes);
            // Slot 0 of the caller's scratch: the pool's shares use slots 1 and 2 (the caller runs share 0 itself).
            float* packed = (float*)MatMulScratch.Get(0, depthBlocks * tiles.Count * tileFloats * sizeof(float));
            var pack = new TokenPacking.Job
            {
                X = x + (long)t0 * columns, Columns = columns, Tokens = chunk, Packed = packed,
                DepthBlock = TShape.DepthBlock, TileTokens = TShape.TileTokens, Tiles = tiles,
            };
            pool.For(tiles.Count, ref pack, 1, (long)chunk * columns * sizeof(float));
            var job = new RowsJob<TShape, T> { W = w, Packed = packed, Y = y + (long)t0 * w.Rows, Tokens = chunk, Tiles = tiles };
            pool.For(w.Rows, ref job, TShape.TileRows);
        }
    }

    private struct RowsJob<TShape, T> : IRowJob where TShape : struct, IFloatGemmShape where T : struct, IFloatBlock
    {
        public WeightMatrix W;
        public float* Packed;
        public float* Y;
        public int Tokens;
        public TokenTiles Tiles;

        public readonly void Execute(int start, int end)
        {
            int columns = W.Columns, depthBlock = TShape.DepthBlock, blockRows = TShape.BlockRows;
            int tileRows = TShape.TileRows, tileTokens = TShape.TileTokens;
            int ldc = Tiles.Columns;
            float* outputs = (float*)MatMulScratch.Get(1, (long)blockRows * ldc * sizeof(float));
            float* weights = (float*)MatMulScratch.Get(2, (long)blockRows * depthBlock * sizeof(float));
            long tileFloats = (long)depthBlock * tileTokens;
            bool readsPacked = W.IsPacked && PackedHalfFloat.IsReadOn(TShape.Path);
            for (int r0 = start; r0 < end; r0 += blockRows)
            {
                int rows = Math.Min(blockRows, end - r0);
                for (int k0 = 0, block = 0; k0 < columns; k0 += depthBlock, block++)
                {
                    int depth = Math.Min(depthBlock, columns - k0);
                    // F32 weights are read in place: at these strides a row's line serves 16 steps and is fetched well
                    // ahead, so the occasional L1 set conflict with the X tile (rows a power of two apart share a set)
                    // costs less than copying the slice (on Zen 3 a copy was no faster either, within the host's noise).
                    // F16/BF16 are widened once per slice into the scratch.
                    bool inPlace = typeof(T) == typeof(BlockF32);
                    if (!inPlace)
                        Widen(r0, rows, k0, depth, weights, readsPacked);
                    long stride = inPlace ? W.RowBytes / sizeof(float) : depthBlock;
                    float* slice = inPlace ? (float*)Source(r0, k0) : weights;
                    float* blockX = Packed + block * Tiles.Count * tileFloats;
                    for (int tile = 0; tile < Tiles.Count; tile++)
                    {
                        int vectors = Tiles.Vectors(tile);
                        float* tileX = blockX + tile * tileFloats;
                        for (int p = 0; p < rows; p += tileRows)
                        {
                            float* c = outputs + p * ldc + Tiles.FirstToken(tile);
                            int panelRows = Math.Min(tileRows, rows - p);
                            float* panel = slice + p * stride;
                            // The first tile fetches the next slice's weights toward L2 while it computes, so their reads (or
                            // copy) do not wait for memory: the same panel of the next depth slice, or of the next row block.
                            // A packed copy's slices are not rows at a stride, so nothing is fetched for it: its widening
                            // reads runs of 1 KiB (four rows' four 32-column pieces), which the hardware prefetcher follows.
                            bool fetches = tile == 0 && !readsPacked;
                            byte* next = (byte*)panel;
                            int nextRows = 1;
                            if (fetches && k0 + depthBlock < columns)
                            {
                                next = Source(r0 + p, k0 + depthBlock);
                                nextRows = panelRows;
                            }
                            else if (fetches && r0 + blockRows + p < end)
                            {
                                next = Source(r0 + blockRows + p, 0);
                                nextRows = Math.Min(tileRows, end - r0 - blockRows - p);
                            }
                            TShape.Multiply(vectors, panel, stride, panelRows, tileX, depth, c, ldc, block > 0, next, W.RowBytes, nextRows, T.Bytes);
                        }
                    }
                }
                TokenPacking.Unpack(outputs, ldc, rows, Tokens, Y + r0, W.Rows);
            }
        }

        private readonly byte* Source(int row, int k0) => (byte*)W.Data + row * W.RowBytes + (long)k0 * T.Bytes;

        /// <summary>Rows [r0, r0 + rows) × columns [k0, k0 + depth) widened to F32, row i at wide + i·DepthBlock;
        /// from the packed copy where the shape reads one (<see cref="PackedHalfFloat"/>, whose 32-column pieces the
        /// depth blocks, multiples of 32, never split).</summary>
        private readonly void Widen(int r0, int rows, int k0, int depth, float* wide, bool readsPacked)
        {
            int depthBlock = TShape.DepthBlock;
            if (readsPacked)
            {
                // Each piece read asks for the piece the next widening reads in its place (the next depth slice of the
                // row, or after the last slice the first of the row a block further on), toward L2: the tile runs
                // between the two widenings, time enough for the lines to arrive. In trial runs outside the repository (a
                // 4096×4096 matrix, 128 and 512 tokens, two threads, both layouts alternated in one process), F16 and BF16
                // prefill over the packed copy was clearly slower than over the file's rows without these requests, and
                // close to it with them (a whole model's prefill: docs/performance-log.md).
                var view = W.Packed;
                bool lastSlice = k0 + depthBlock >= W.Columns;
                for (int r = 0; r < rows; r++)
                {
                    float* dst = wide + r * depthBlock;
                    int nextRow = lastSlice ? r0 + r + TShape.BlockRows : r0 + r;
                    bool fetches = nextRow < W.Rows;
                    // A row's pieces follow one another a step apart, so each row's first piece is located once.
                    byte* piece = PackedHalfFloat.Piece(view, r0 + r, k0);
                    byte* next = fetches ? PackedHalfFloat.Piece(view, nextRow, lastSlice ? 0 : k0 + depthBlock) : null;
                    for (int k = 0; k < depth; k += PackedHalfFloat.StepColumns, piece += PackedHalfFloat.StepBytes, next += PackedHalfFloat.StepBytes)
                    {
                        if (fetches)
                            Sse.Prefetch1(next);
                        TShape.Widen<T>(piece, dst + k, PackedHalfFloat.StepColumns);
                    }
                }
                return;
            }
            for (int r = 0; r < rows; r++)
                TShape.Widen<T>(Source(r0 + r, k0), wide + r * depthBlock, depth);
        }
    }
}
