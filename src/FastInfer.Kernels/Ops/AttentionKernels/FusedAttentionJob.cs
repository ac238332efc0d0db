using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops.Elementwise;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Ops.AttentionKernels;

/// <summary>
/// Grouped-query attention in one pass over K and V with an online softmax, a tile of positions at a time:
/// the tile's scores are computed for every query head sharing the KV head (the K rows stay in L1), the
/// running max and normaliser are corrected once per tile, the exponentials are one vector call, and the
/// tile's V rows are accumulated for the same heads. Items are (head chunk, query) pairs ordered chunk-major,
/// so static shares mix early and late queries of a causal prefill evenly. Each head's arithmetic is the same
/// whichever chunk or thread runs it, so results do not depend on the thread count.
/// </summary>
internal unsafe struct FusedAttentionJob<TKv> : IRowJob where TKv : IKvRow
{
    private const int Tile = 64;
    private const int MaxChunk = 16;

    public float* Q, O;
    public byte* K, V;
    public AttentionShape Shape;
    public int ChunkHeads, ChunksPerGroup;
    public float Scale;
    public IsaPath Path;

    public static void Run(float* q, byte* k, byte* v, float* o, AttentionShape shape, IsaPath path, ComputePool pool)
    {
        // Smaller chunks when there would be too few items to keep every thread busy.
        int chunk = Math.Min(shape.Group, MaxChunk);
        int kvHeads = shape.HeadCount / shape.Group;
        while (chunk > 1 && (long)kvHeads * ((shape.Group + chunk - 1) / chunk) * shape.QueryCount < 4L * pool.ThreadCount)
            chunk = (chunk + 1) / 2;
        var job = new FusedAttentionJob<TKv>
        {
            Q = q, K = k, V = v, O = o, Shape = shape, Path = path,
            ChunkHeads = chunk, ChunksPerGroup = (shape.Group + chunk - 1) / chunk,
            Scale = 1f / MathF.Sqrt(shape.HeadDim),
        };
        pool.For(kvHeads * job.ChunksPerGroup * shape.QueryCount, ref job);
    }

    public void Execute(int start, int end)
    {
        float* scores = stackalloc float[Tile * MaxChunk];
        float* max = stackalloc float[MaxChunk];
        float* sum = stackalloc float[MaxChunk];
        for (int item = start; item < end; item++)
        {
            int query = item % Shape.QueryCount, chunkIndex = item / Shape.QueryCount;
            int kvHead = chunkIndex / ChunksPerGroup;
            int firstHead = kvHead * Shape.Group + chunkIndex % ChunksPerGroup * ChunkHeads;
            int heads = Math.Min(ChunkHeads, (kvHead + 1) * Shape.Group - firstHead);
            long offset = ((long)query * Shape.HeadCount + firstHead) * Shape.HeadDim;
            var (first, last) = Shape.Span(query);
            Attend(Q + offset, O + offset, heads, kvHead, first, last, scores, max, sum);
        }
    }

    private readonly void Attend(float* q, float* o, int heads, int kvHead, int first, int end, float* scores, float* max, float* sum)
    {
        int d = Shape.HeadDim;
        long rowBytes = (long)Shape.KvRow * TKv.ElementBytes, headBytes = (long)kvHead * d * TKv.ElementBytes;
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
                byte* key = K + (t0 + t) * rowBytes + headBytes;
                for (int j = 0; j < heads; j++)
                    scores[j * Tile + t] = TKv.Dot(q + j * d, key, d, Path) * Scale;
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
                byte* value = V + (t0 + t) * rowBytes + headBytes;
                for (int j = 0; j < heads; j++)
                    TKv.AddScaled(o + j * d, value, scores[j * Tile + t], d, Path);
            }
        }
        for (int j = 0; j < heads; j++)
            VectorOps.Scale(new Span<float>(o + j * d, d), 1f / sum[j], Path);
    }
}
