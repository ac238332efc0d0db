using System.Runtime.CompilerServices;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops.Elementwise;
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
    private const int Tile = 64;
    private const int MaxChunk = 32;

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
        float* max = stackalloc float[MaxChunk];
        float* sum = stackalloc float[MaxChunk];
        long* kvOffsets = stackalloc long[MaxChunk];
        for (int item = start; item < end; item++)
        {
            // Chunk-major order mixes early and late queries of a causal prefill into every thread's share.
            int query = item % Shape.QueryCount, chunkIndex = item / Shape.QueryCount;
            int firstHead = chunkIndex * ChunkHeads;
            int heads = Math.Min(ChunkHeads, Shape.HeadCount - firstHead);
            for (int j = 0; j < heads; j++)
                kvOffsets[j] = (long)(firstHead + j) / Shape.Group * Shape.HeadDim * TKv.ElementBytes;
            long offset = ((long)query * Shape.HeadCount + firstHead) * Shape.HeadDim;
            var (first, last) = Shape.Span(query);
            Attend(Q + offset, O + offset, heads, kvOffsets, first, last, scores, max, sum);
        }
    }

    // Fully optimised from the first call: a decode step calls it only a few times, too few for tiering to reach it early.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private readonly void Attend(float* q, float* o, int heads, long* kvOffsets, int first, int end, float* scores, float* max, float* sum)
    {
        int d = Shape.HeadDim;
        long rowBytes = (long)Shape.KvRow * TKv.ElementBytes;
        new Span<float>(o, heads * d).Clear();
        for (int j = 0; j < heads; j++)
        {
            max[j] = float.NegativeInfinity;
            sum[j] = 0;
        }
        for (int t0 = first; t0 < end; t0 += Tile)
        {
            int count = Math.Min(Tile, end - t0);
            for (int t = 0; t < count; t++)
            {
                byte* key = K + (t0 + t) * rowBytes;
                for (int j = 0; j < heads; j++)
                    scores[j * Tile + t] = TKv.Dot(q + j * d, key + kvOffsets[j], d, Path) * Scale;
            }
            for (int j = 0; j < heads; j++)
            {
                var tile = new Span<float>(scores + j * Tile, count);
                float tileMax = ElementwiseLoop.Aggregate<IdentityOperator, MaxOperator>(tile, Path);
                if (tileMax > max[j])
                {
                    // A new maximum rescales what has been accumulated so far (nothing, on the first tile).
                    float correction = FastExp.Exp(max[j] - tileMax);
                    sum[j] *= correction;
                    VectorOps.Scale(new Span<float>(o + j * d, d), correction, Path);
                    max[j] = tileMax;
                }
                sum[j] += ElementwiseLoop.BinaryScalarAggregate<ExpShiftedOperator, AddOperator>(tile, max[j], tile, Path);
            }
            for (int t = 0; t < count; t++)
            {
                byte* value = V + (t0 + t) * rowBytes;
                for (int j = 0; j < heads; j++)
                    TKv.AddScaled(o + j * d, value + kvOffsets[j], scores[j * Tile + t], d, Path);
            }
        }
        for (int j = 0; j < heads; j++)
            VectorOps.Scale(new Span<float>(o + j * d, d), 1f / sum[j], Path);
    }
}
