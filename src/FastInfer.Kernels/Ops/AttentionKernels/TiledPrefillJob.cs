using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops.FloatGemm;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Ops.AttentionKernels;

/// <summary>
/// Causal prefill attention as two small matrix products per tile, both on a float GEMM register tile of the width
/// <typeparamref name="TTile"/> names (<see cref="PrefillTile512"/>, <see cref="PrefillTile256"/>). An item is one KV head
/// and a block of consecutive queries; its rows are every (query, head) pair of the group, gathered with the softmax scale
/// folded in, so the heads sharing a KV head read each widened K/V tile together. Per step of
/// <see cref="IPrefillTile.KeyTile"/> cached positions, the K slice is widened once and transposed into column panels of
/// the tile's width, so that scores = Q·Kᵀ runs as register tiles; each row's scores outside its causal/windowed span
/// become zero weights, the online softmax folds in the rest, and O += P·V runs against the widened V slice, packed the
/// same way. Items are fixed by head and query block, so results do not depend on the thread count or on which thread
/// takes an item.
/// </summary>
internal unsafe struct TiledPrefillJob<TKv, TTile> : IRowJob where TKv : IKvRow where TTile : struct, IPrefillTile
{
    public float* Q, O;
    public byte* K, V;
    public AttentionShape Shape;
    public int QueryBlock, QueryBlocks, KvHeads, PaddedRows;
    public IsaPath Path;
    public int* NextItem;

    /// <summary>
    /// Whether this width's tiled kernel runs the shape (else a narrower one or the per-query job does). The 256-bit
    /// tile is kept off AVX-512 hosts, whose heads of odd multiples of 8 it could take, until it can be timed there.
    /// </summary>
    public static bool Fits(AttentionShape shape, IsaPath path)
        => path >= TTile.Path && (TTile.Path == IsaPath.Avx512 || path < IsaPath.Avx512)
           && shape.HeadDim % TTile.Lanes == 0 && shape.QueryCount > 1;

    private static int KeyTile => TTile.KeyTile;

    public static void Run(float* q, byte* k, byte* v, float* o, AttentionShape shape, IsaPath path, ComputePool pool)
    {
        int kvHeads = shape.HeadCount / shape.Group;
        // Large items share the K/V widening, but a short prompt still gets two items per thread to share out.
        int leastBlocks = (2 * pool.ThreadCount + kvHeads - 1) / kvHeads;
        var (first, end) = shape.Span(shape.QueryCount - 1);
        int queryBlock = Math.Max(1, Math.Min(TTile.TargetRows(end - first) / shape.Group, (shape.QueryCount + leastBlocks - 1) / leastBlocks));
        int rows = queryBlock * shape.Group;
        var job = new TiledPrefillJob<TKv, TTile>
        {
            Q = q, K = k, V = v, O = o, Shape = shape, Path = path, QueryBlock = queryBlock,
            QueryBlocks = (shape.QueryCount + queryBlock - 1) / queryBlock, KvHeads = kvHeads,
            PaddedRows = (rows + TTile.Rows - 1) / TTile.Rows * TTile.Rows,
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
        int d = Shape.HeadDim, group = Shape.Group, rows = queries * group, tokens = TTile.Tokens;
        float* q = scratch, o = q + (long)PaddedRows * d, s = o + (long)PaddedRows * d;
        float* keysT = s + (long)PaddedRows * KeyTile, values = keysT + (long)d * KeyTile;
        float* staging = values + ValueFloats(d), max = staging + (long)d * KeyTile, sum = max + PaddedRows;
        float scale = 1f / MathF.Sqrt(d);
        // The scratch is laid out for PaddedRows; an item of fewer queries (the prompt's last) clears only the tiles' rows it uses.
        int usedRows = (rows + TTile.Rows - 1) / TTile.Rows * TTile.Rows;
        // Row r = query i, head j of the group: (query0 + i)·heads + kvHead·group + j.
        for (int r = 0; r < usedRows; r++)
        {
            if (r < rows)
            {
                float* source = Q + Offset(query0 + r / group, kvHead * group + r % group);
                for (int c = 0; c < d; c += 8)
                    (Vector256.Load(source + c) * scale).Store(q + (long)r * d + c);
            }
            else
                new Span<float>(q + (long)r * d, d).Clear();
            max[r] = float.NegativeInfinity;
            sum[r] = 0;
        }
        new Span<float>(o, usedRows * d).Clear();

        int first = Shape.Span(query0).First, end = Shape.Span(query0 + queries - 1).End;
        long rowBytes = (long)Shape.KvRow * TKv.ElementBytes, sliceOffset = (long)kvHead * d * TKv.ElementBytes;
        for (int t0 = first - first % KeyTile; t0 < end; t0 += KeyTile)
        {
            int lo = Math.Max(t0, first), count = Math.Min(KeyTile, end - t0);
            // K slice transposed to panels [KeyTile/tokens][d][tokens keys] (through a row-major staging tile) and V slice
            // to panels [d/tokens][KeyTile keys][tokens columns], each widened once; keys outside [lo, end) are zero.
            var nonFinite = Vector256<uint>.Zero;
            for (int t = 0; t < KeyTile; t++)
            {
                bool inside = t0 + t >= lo && t < count;
                byte* key = K + (t0 + t) * rowBytes + sliceOffset, value = V + (t0 + t) * rowBytes + sliceOffset;
                if (inside)
                    TKv.Widen(key, staging + (long)t * d, d, Path);
                else
                    new Span<float>(staging + (long)t * d, d).Clear();
                for (int c0 = 0; c0 < d; c0 += tokens)
                {
                    float* target = values + (long)c0 * KeyTile + t * tokens;
                    if (inside)
                    {
                        TKv.Widen(value + (long)c0 * TKv.ElementBytes, target, Math.Min(tokens, d - c0), Path);
                        nonFinite |= NonFinite(target, Math.Min(tokens, d - c0));
                    }
                    else
                        new Span<float>(target, Math.Min(tokens, d - c0)).Clear();
                }
            }
            for (int c = 0; c < d; c += 8)
                for (int t = 0; t < KeyTile; t += 8)
                    Transpose8x8.Run(staging + (long)t * d + c, d, keysT + ((long)(t / tokens) * d + c) * tokens + t % tokens, tokens);
            // Panels past the last key or before the first hold only masked scores, which the softmax pass clears.
            for (int k0 = (lo - t0) / tokens * tokens; k0 < count; k0 += tokens)
                for (int p = 0; p < rows; p += TTile.Rows)
                    TTile.Multiply(tokens / TTile.Lanes, q + (long)p * d, d, Math.Min(TTile.Rows, rows - p), keysT + (long)k0 * d, d,
                        s + p * KeyTile + k0, KeyTile, false);
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
            if (nonFinite != Vector256<uint>.Zero)
            {
                AccumulateSpans(query0, rows, t0, s, o, sliceOffset, rowBytes);
                continue;
            }
            for (int c0 = 0; c0 < d; c0 += tokens)
            {
                int vectors = Math.Min(tokens, d - c0) / TTile.Lanes;
                for (int p = 0; p < rows; p += TTile.Rows)
                    TTile.Multiply(vectors, s + p * KeyTile, KeyTile, Math.Min(TTile.Rows, rows - p), values + (long)c0 * KeyTile, count,
                        o + (long)p * d + c0, d, true);
            }
        }
        for (int r = 0; r < rows; r++)
        {
            float* target = O + Offset(query0 + r / group, kvHead * group + r % group);
            float inverse = 1f / sum[r];
            for (int c = 0; c < d; c += 8)
                (Vector256.Load(o + (long)r * d + c) * inverse).Store(target + c);
        }
    }

    /// <summary>
    /// O += P·V for a tile whose V holds an infinity or NaN: each row adds only the positions it sees, straight from the
    /// cache, as the per-query job does; the product would add a masked position's 0 · ∞ = NaN into rows that never see
    /// it. Each output is the same FMA chain the product runs, less its zero-weight terms.
    /// </summary>
    private readonly void AccumulateSpans(int query0, int rows, int t0, float* s, float* o, long sliceOffset, long rowBytes)
    {
        int d = Shape.HeadDim, group = Shape.Group;
        for (int r = 0; r < rows; r++)
        {
            var (rowFirst, rowEnd) = Shape.Span(query0 + r / group);
            int a = Math.Max(rowFirst, t0), b = Math.Min(rowEnd, t0 + KeyTile);
            for (int t = a; t < b; t++)
                TKv.AddScaled(o + (long)r * d, V + t * rowBytes + sliceOffset, s[r * KeyTile + t - t0], d, Path);
        }
    }

    /// <summary>Lanes set where one of <paramref name="n"/> floats (a multiple of 8) is an infinity or NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> NonFinite(float* x, int n)
    {
        var exponent = Vector256.Create(0x7f800000u);
        var seen = Vector256<uint>.Zero;
        for (int i = 0; i < n; i += 8)
            seen |= Vector256.Equals(Vector256.Load((uint*)x + i) & exponent, exponent);
        return seen;
    }

    /// <summary>The V slice in panels of <see cref="IPrefillTile.Tokens"/> columns, the last one padded.</summary>
    private static long ValueFloats(int headDim) => (headDim + TTile.Tokens - 1L) / TTile.Tokens * TTile.Tokens * KeyTile;

    private readonly long Offset(int query, int head) => ((long)query * Shape.HeadCount + head) * Shape.HeadDim;
}
