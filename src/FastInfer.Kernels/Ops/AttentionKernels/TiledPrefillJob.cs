using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops.FloatGemm;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Ops.AttentionKernels;

/// <summary>
/// Causal prefill attention on AVX-512 as two small matrix products per tile, both on the GEMM's register tile
/// (<see cref="FloatTile512"/>). An item is one KV head and a block of consecutive queries; its rows are every
/// (query, head) pair of the group, gathered with the softmax scale folded in. Per tile of <see cref="KeyTile"/> cached
/// positions, the K slice is widened once and transposed so that scores = Q·Kᵀ runs 6 rows × 64 keys per register tile;
/// each row's scores outside its causal/windowed span become zero weights, the online softmax folds in the rest, and
/// O += P·V runs 6 rows × 64 output columns against the widened V slice. Items are fixed by head and query block, so
/// results do not depend on the thread count or on which thread takes an item.
/// </summary>
internal unsafe struct TiledPrefillJob<TKv> : IRowJob where TKv : IKvRow
{
    private const int KeyTile = FloatTile512.Tokens, TargetRows = 64;

    public float* Q, O;
    public byte* K, V;
    public AttentionShape Shape;
    public int QueryBlock, QueryBlocks, KvHeads, PaddedRows;
    public IsaPath Path;
    public int* NextItem;

    /// <summary>Whether the tiled kernel runs this shape (else the per-query job does).</summary>
    public static bool Fits(AttentionShape shape, IsaPath path) => path >= IsaPath.Avx512 && shape.HeadDim % 16 == 0 && shape.QueryCount > 1;

    public static void Run(float* q, byte* k, byte* v, float* o, AttentionShape shape, IsaPath path, ComputePool pool)
    {
        int queryBlock = Math.Max(1, TargetRows / shape.Group);
        int rows = queryBlock * shape.Group;
        var job = new TiledPrefillJob<TKv>
        {
            Q = q, K = k, V = v, O = o, Shape = shape, Path = path, QueryBlock = queryBlock,
            QueryBlocks = (shape.QueryCount + queryBlock - 1) / queryBlock, KvHeads = shape.HeadCount / shape.Group,
            PaddedRows = (rows + FloatTile512.Rows - 1) / FloatTile512.Rows * FloatTile512.Rows,
        };
        int nextItem = 0;
        job.NextItem = &nextItem;
        pool.For(Math.Min(pool.ThreadCount, job.QueryBlocks * job.KvHeads), ref job, 1);
    }

    /// <summary>
    /// Each thread claims items until none are left (start and end only count the threads), the longest first: the
    /// last query blocks see the most keys. A static split of a 128-token prompt gave one thread all the short first
    /// blocks, and any thread that lost its core for a while held the other at the barrier.
    /// </summary>
    public readonly void Execute(int start, int end)
    {
        int d = Shape.HeadDim, items = QueryBlocks * KvHeads;
        long floats = 2L * PaddedRows * d + (long)PaddedRows * KeyTile + 2L * d * KeyTile + ValueFloats(d) + 2L * PaddedRows;
        float* scratch = (float*)MatMulScratch.Get(1, floats * sizeof(float));
        for (int item = Interlocked.Increment(ref *NextItem) - 1; item < items; item = Interlocked.Increment(ref *NextItem) - 1)
        {
            int block = QueryBlocks - 1 - item / KvHeads, kvHead = item % KvHeads;
            Attend(block * QueryBlock, Math.Min(QueryBlock, Shape.QueryCount - block * QueryBlock), kvHead, scratch);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private readonly void Attend(int query0, int queries, int kvHead, float* scratch)
    {
        int d = Shape.HeadDim, group = Shape.Group, rows = queries * group;
        float* q = scratch, o = q + (long)PaddedRows * d, s = o + (long)PaddedRows * d;
        float* keysT = s + (long)PaddedRows * KeyTile, values = keysT + (long)d * KeyTile;
        float* staging = values + ValueFloats(d), max = staging + (long)d * KeyTile, sum = max + PaddedRows;
        float scale = 1f / MathF.Sqrt(d);
        // Row r = query i, head j of the group: (query0 + i)·heads + kvHead·group + j.
        for (int r = 0; r < PaddedRows; r++)
        {
            if (r < rows)
            {
                float* source = Q + Offset(query0 + r / group, kvHead * group + r % group);
                for (int c = 0; c < d; c += 16)
                    (Vector512.Load(source + c) * scale).Store(q + (long)r * d + c);
            }
            else
                new Span<float>(q + (long)r * d, d).Clear();
            max[r] = float.NegativeInfinity;
            sum[r] = 0;
        }
        new Span<float>(o, PaddedRows * d).Clear();

        int first = Shape.Span(query0).First, end = Shape.Span(query0 + queries - 1).End;
        long rowBytes = (long)Shape.KvRow * TKv.ElementBytes, sliceOffset = (long)kvHead * d * TKv.ElementBytes;
        for (int t0 = first - first % KeyTile; t0 < end; t0 += KeyTile)
        {
            int lo = Math.Max(t0, first), count = Math.Min(KeyTile, end - t0);
            // K slice transposed to [d][64 keys] (through a row-major staging tile) and V slice to [d/64][64 keys][64
            // columns], each widened once; keys outside [lo, end) are zero.
            for (int t = 0; t < KeyTile; t++)
            {
                bool inside = t0 + t >= lo && t < count;
                byte* key = K + (t0 + t) * rowBytes + sliceOffset, value = V + (t0 + t) * rowBytes + sliceOffset;
                if (inside)
                    TKv.Widen(key, staging + (long)t * d, d, Path);
                else
                    new Span<float>(staging + (long)t * d, d).Clear();
                for (int c0 = 0; c0 < d; c0 += 64)
                {
                    float* target = values + (long)c0 * KeyTile + t * 64;
                    if (inside)
                        TKv.Widen(value + (long)c0 * TKv.ElementBytes, target, Math.Min(64, d - c0), Path);
                    else
                        new Span<float>(target, Math.Min(64, d - c0)).Clear();
                }
            }
            for (int c = 0; c < d; c += 8)
                for (int t = 0; t < KeyTile; t += 8)
                    Transpose8x8.Run(staging + (long)t * d + c, d, keysT + (long)c * KeyTile + t, KeyTile);
            for (int p = 0; p < rows; p += FloatTile512.Rows)
                FloatTile512.Multiply<FourVectors>(q + (long)p * d, d, Math.Min(FloatTile512.Rows, rows - p), keysT, d, s + p * KeyTile, KeyTile, false);
            for (int r = 0; r < rows; r++)
            {
                var (rowFirst, rowEnd) = Shape.Span(query0 + r / group);
                int a = Math.Max(rowFirst, t0) - t0, b = Math.Min(rowEnd, t0 + KeyTile) - t0;
                float* scores = s + r * KeyTile;
                if (a >= b)
                {
                    new Span<float>(scores, KeyTile).Clear();
                    continue;
                }
                OnlineSoftmax.Update(scores + a, b - a, ref max[r], ref sum[r], o + (long)r * d, d, Path);
                new Span<float>(scores, a).Clear();
                new Span<float>(scores + b, KeyTile - b).Clear();
            }
            for (int c0 = 0; c0 < d; c0 += 64)
            {
                int vectors = Math.Min(64, d - c0) / 16;
                for (int p = 0; p < rows; p += FloatTile512.Rows)
                {
                    float* weights = s + p * KeyTile, x = values + (long)c0 * KeyTile, c = o + (long)p * d + c0;
                    int panelRows = Math.Min(FloatTile512.Rows, rows - p);
                    switch (vectors)
                    {
                        case 4: FloatTile512.Multiply<FourVectors>(weights, KeyTile, panelRows, x, count, c, d, true); break;
                        case 3: FloatTile512.Multiply<ThreeVectors>(weights, KeyTile, panelRows, x, count, c, d, true); break;
                        case 2: FloatTile512.Multiply<TwoVectors>(weights, KeyTile, panelRows, x, count, c, d, true); break;
                        default: FloatTile512.Multiply<OneVector>(weights, KeyTile, panelRows, x, count, c, d, true); break;
                    }
                }
            }
        }
        for (int r = 0; r < rows; r++)
        {
            float* target = O + Offset(query0 + r / group, kvHead * group + r % group);
            float inverse = 1f / sum[r];
            for (int c = 0; c < d; c += 16)
                (Vector512.Load(o + (long)r * d + c) * inverse).Store(target + c);
        }
    }

    /// <summary>The V slice in blocks of 64 columns, the last one padded.</summary>
    private static long ValueFloats(int headDim) => (headDim + 63L) / 64 * 64 * KeyTile;

    private readonly long Offset(int query, int head) => ((long)query * Shape.HeadCount + head) * Shape.HeadDim;
}
