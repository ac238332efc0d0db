using System.Runtime.CompilerServices;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Ops.AttentionKernels;

/// <summary>
/// Grouped-query attention in one pass over K and V with an online softmax, a tile of positions at a time.
/// An item is a run of consecutive query heads for one query; for each cached position its heads read the
/// K (then V) row slices of their KV heads, so the cache streams through in address order (a row of all KV
/// heads is contiguous) and each slice is reused from L1 by the query heads that share it. Per head, the
/// tile's running max and normaliser are corrected once and its exponentials are one vector call. Each
/// head's arithmetic is the same whichever item or thread runs it, so results do not depend on the thread count.
/// </summary>
internal unsafe struct FusedAttentionJob<TKv> : IRowJob where TKv : IKvRow
{
    // A tile of 32 positions of a 256-float KV row is 32 KiB: it stays in L1 while a block of queries reads it.
    private const int Tile = 32;
    private const int MaxChunk = 32;
    private const int QueryBlock = 8;

    public float* Q, O;
    public byte* K, V;
    public AttentionShape Shape;
    public int ChunkHeads, ChunksPerQuery;
    public float Scale;
    public IsaPath Path;

    public static void Run(float* q, byte* k, byte* v, float* o, AttentionShape shape, IsaPath path, ComputePool pool)
    {
        // Long runs of heads stream the cache best; split them only as far as needed to give every thread work.
        int chunksWanted = (pool.ThreadCount + shape.QueryCount - 1) / shape.QueryCount;
        int chunk = Math.Min(MaxChunk, (shape.HeadCount + chunksWanted - 1) / chunksWanted);
        var job = new FusedAttentionJob<TKv>
        {
            Q = q, K = k, V = v, O = o, Shape = shape, Path = path,
            ChunkHeads = chunk, ChunksPerQuery = (shape.HeadCount + chunk - 1) / chunk,
            Scale = 1f / MathF.Sqrt(shape.HeadDim),
        };
        // Cost: every query reads the K and V rows of the positions it sees (at most those of the last query).
        long positions = shape.EndOfFirstQuery + shape.QueryCount - 1 - shape.First;
        long workBytes = shape.QueryCount * positions * 2L * shape.KvRow * TKv.ElementBytes;
        pool.For(job.ChunksPerQuery * shape.QueryCount, ref job, 1, workBytes);
    }

    public void Execute(int start, int end)
    {
        float* scores = stackalloc float[Tile * MaxChunk];
        float* max = stackalloc float[QueryBlock * MaxChunk];
        float* sum = stackalloc float[QueryBlock * MaxChunk];
        long* kvOffsets = stackalloc long[MaxChunk];
        int item = start;
        while (item < end)
        {
            // Chunk-major order mixes early and late queries of a causal prefill into every thread's share;
            // consecutive items are consecutive queries of one head chunk, attended as a block.
            int query = item % Shape.QueryCount, chunkIndex = item / Shape.QueryCount;
            int queries = Math.Min(QueryBlock, Math.Min(end - item, Shape.QueryCount - query));
            int firstHead = chunkIndex * ChunkHeads;
            int heads = Math.Min(ChunkHeads, Shape.HeadCount - firstHead);
            for (int j = 0; j < heads; j++)
                kvOffsets[j] = (long)(firstHead + j) / Shape.Group * Shape.HeadDim * TKv.ElementBytes;
            AttendBlock(query, queries, firstHead, heads, kvOffsets, scores, max, sum);
            item += queries;
        }
    }

    /// <summary>
    /// A block of consecutive queries for one chunk of heads. Tiles start at multiples of <see cref="Tile"/> in absolute
    /// position and are clipped to each query's span, so a query's arithmetic is the same whichever block, item or thread
    /// runs it, and the same in decode and prefill; every query of the block reads a tile while it is still in L1.
    /// </summary>
    // Fully optimised from the first call: a decode step calls it only a few times, too few for tiering to reach it early.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private readonly void AttendBlock(int query, int queries, int firstHead, int heads, long* kvOffsets, float* scores, float* max, float* sum)
    {
        int d = Shape.HeadDim;
        int blockFirst = int.MaxValue, blockEnd = 0;
        for (int i = 0; i < queries; i++)
        {
            var (first, end) = Shape.Span(query + i);
            blockFirst = Math.Min(blockFirst, first);
            blockEnd = Math.Max(blockEnd, end);
            new Span<float>(O + Offset(query + i, firstHead), heads * d).Clear();
            for (int j = 0; j < heads; j++)
            {
                max[i * MaxChunk + j] = float.NegativeInfinity;
                sum[i * MaxChunk + j] = 0;
            }
        }
        for (int t0 = blockFirst - blockFirst % Tile; t0 < blockEnd; t0 += Tile)
        {
            for (int i = 0; i < queries; i++)
            {
                var (first, end) = Shape.Span(query + i);
                int lo = Math.Max(t0, first), hi = Math.Min(t0 + Tile, end);
                if (lo < hi)
                {
                    long offset = Offset(query + i, firstHead);
                    AttendTile(Q + offset, O + offset, heads, kvOffsets, lo, hi - lo, scores, max + i * MaxChunk, sum + i * MaxChunk);
                }
            }
        }
        for (int i = 0; i < queries; i++)
        {
            float* o = O + Offset(query + i, firstHead);
            for (int j = 0; j < heads; j++)
                VectorOps.Scale(new Span<float>(o + j * d, d), 1f / sum[i * MaxChunk + j], Path);
        }
    }

    private readonly long Offset(int query, int firstHead) => ((long)query * Shape.HeadCount + firstHead) * Shape.HeadDim;

    /// <summary>Positions [t0, t0 + count) for one query's heads: scores, the online-softmax update, and the values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private readonly void AttendTile(float* q, float* o, int heads, long* kvOffsets, int t0, int count, float* scores, float* max, float* sum)
    {
        int d = Shape.HeadDim;
        long rowBytes = (long)Shape.KvRow * TKv.ElementBytes;
        // A float cache with whole-vector heads takes the tiled AVX-512 path (typeof folds away per instantiation).
        bool wholeVectors = typeof(TKv) == typeof(F32KvRow) && Path >= IsaPath.Avx512 && F32Tile512.Fits(d);
        if (wholeVectors)
        {
            for (int j = 0; j < heads; j++)
                F32Tile512.Scores(q + j * d, (float*)(K + t0 * rowBytes + kvOffsets[j]), Shape.KvRow, count, d, Scale, scores + j * Tile);
        }
        else
        {
            for (int t = 0; t < count; t++)
            {
                byte* key = K + (t0 + t) * rowBytes;
                for (int j = 0; j < heads; j++)
                    scores[j * Tile + t] = TKv.Dot(q + j * d, key + kvOffsets[j], d, Path) * Scale;
            }
        }
        for (int j = 0; j < heads; j++)
            OnlineSoftmax.Update(scores + j * Tile, count, ref max[j], ref sum[j], o + j * d, d, Path);
        if (wholeVectors)
        {
            for (int j = 0; j < heads; j++)
                F32Tile512.Accumulate(o + j * d, (float*)(V + t0 * rowBytes + kvOffsets[j]), Shape.KvRow, scores + j * Tile, count, d);
            return;
        }
        for (int t = 0; t < count; t++)
        {
            byte* value = V + (t0 + t) * rowBytes;
            for (int j = 0; j < heads; j++)
                TKv.AddScaled(o + j * d, value + kvOffsets[j], scores[j * Tile + t], d, Path);
        }
    }
}
