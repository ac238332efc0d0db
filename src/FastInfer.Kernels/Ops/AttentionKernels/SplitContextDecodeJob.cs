using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops.Elementwise;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Ops.AttentionKernels;

/// <summary>
/// Decode attention (one query) split over blocks of <see cref="BlockPositions"/> cached positions, so threads share
/// the context rather than the heads, and every K/V row is read from memory once for all the query heads that use it
/// (grouped-query attention). With whole-vector heads, a block goes tile by tile and KV head by KV head through a group
/// tile of 16 positions, which reads the rows in place (<see cref="GroupTile512"/> on AVX-512, <see cref="GroupTile256"/>
/// on AVX2), while the slices a few steps on are prefetched. Otherwise a block widens (F16) or copies its rows a sub-tile
/// at a time into a small F32 scratch laid out per KV head and every query head scores and accumulates its KV head's tile
/// from L1. Either way each block
/// leaves (max, sum, unnormalised output) per head; the caller merges the blocks in position order. Blocks and tiles start
/// at fixed positions, so results do not depend on the thread count.
/// </summary>
internal unsafe struct SplitContextDecodeJob<TKv> : IRowJob where TKv : IKvRow
{
    public const int BlockPositions = 128;
    /// <summary>How far ahead the group tiles prefetch, in K and V bytes (half of a Zen 5's L1; on a smaller L1 the lines
    /// go to L2 only: <see cref="KvPrefetch"/>).</summary>
    private const long PrefetchBytes = 24 << 10;
    private const int SubTile = 32;

    public float* Q, ScaledQ, O, Partials;
    public byte* K, V;
    public AttentionShape Shape;
    public int FirstBlock;
    public float Scale;
    public IsaPath Path;
    /// <summary>Whether a group tile (<see cref="IGroupTile"/>) runs this shape.</summary>
    public bool Grouped;
    /// <summary>Whether <see cref="ScaledQ"/> (the query times the cache type's shortfall scale) is finite, so tiles
    /// without infinities or NaNs may be read with <see cref="IKvRow.LoadScaled"/>.</summary>
    public bool ScaledQueryFinite;

    /// <summary>A head's output rounded up to whole vectors (aligned partials), then its running max and sum, then (for
    /// the group tiles) the sum's lane-wise parts.</summary>
    private readonly int OutputFloats => (Shape.HeadDim + 15) & ~15;
    private readonly int PartialFloats => OutputFloats + IGroupTile.SumsOffset + IGroupTile.MaxSumLanes;

    public static void Run(float* q, byte* k, byte* v, float* o, AttentionShape shape, IsaPath path, ComputePool pool)
    {
        var (first, end) = shape.Span(0);
        int firstBlock = first / BlockPositions, blocks = (end - 1) / BlockPositions - firstBlock + 1;
        long queryFloats = (long)shape.HeadCount * shape.HeadDim;
        long partialFloats = (long)blocks * shape.HeadCount * (((shape.HeadDim + 15) & ~15) + IGroupTile.SumsOffset + IGroupTile.MaxSumLanes);
        // Slot 0 of the caller's scratch: the shares use slot 1 (the caller runs share 0 itself).
        float* partials = (float*)Ops.MatMulScratch.Get(0, (partialFloats + queryFloats) * sizeof(float));
        var job = new SplitContextDecodeJob<TKv>
        {
            Q = q, K = k, V = v, O = o, Partials = partials, Shape = shape, Path = path,
            FirstBlock = firstBlock, Scale = 1f / MathF.Sqrt(shape.HeadDim),
            Grouped = GroupTile512.Fits(shape.HeadDim, path) || GroupTile256.Fits(shape.HeadDim, path),
        };
        if (job.Grouped)
            job.ScaleQuery(partials + partialFloats, queryFloats);
        long workBytes = (end - first) * 2L * shape.KvRow * TKv.ElementBytes;
        pool.For(blocks, ref job, 1, workBytes);
        job.Merge(blocks);
    }

    /// <summary>ScaledQ = Q · shortfall scale (Q itself for F32), and whether every product stayed finite.</summary>
    private void ScaleQuery(float* scaled, long count)
    {
        float factor = TKv.ShortfallScale;
        ScaledQ = Q;
        ScaledQueryFinite = true;
        if (factor == 1f)
            return;
        ScaledQ = scaled;
        // |q| below 2^127 / factor keeps q · factor finite (NaN compares false and stays NaN either way). In
        // 256-bit steps, which every path with a group tile runs: the query is a few KiB, read once per call.
        var limit = Vector256.Create(BitConverter.Int32BitsToSingle(254 << 23) / factor);
        bool tooLarge = false;
        for (long i = 0; i < count; i += 8)
        {
            var x = Vector256.Load(Q + i);
            tooLarge |= Vector256.GreaterThanOrEqualAny(Vector256.Abs(x), limit);
            (x * Vector256.Create(factor)).Store(scaled + i);
        }
        ScaledQueryFinite = !tooLarge;
    }

    public readonly void Execute(int start, int end)
    {
        if (Grouped)
        {
            if (GroupTile512.Fits(Shape.HeadDim, Path))
                AttendGrouped<GroupTile512>(start, end);
            else
                AttendGrouped<GroupTile256>(start, end);
            return;
        }
        int heads = Shape.HeadCount;
        long tileFloats = (long)SubTile * Shape.KvRow;
        float* scratch = (float*)Ops.MatMulScratch.Get(1, (2 * tileFloats + heads * SubTile) * sizeof(float));
        float* keys = scratch, values = keys + tileFloats, scores = values + tileFloats;
        for (int block = start; block < end; block++)
            Attend(block, keys, values, scores);
    }

    /// <summary>The positions of <paramref name="block"/> and its partials, cleared: output 0, max −∞, sum 0.</summary>
    private readonly float* StartBlock(int block, out int lo, out int hi)
    {
        var (first, end) = Shape.Span(0);
        lo = Math.Max(first, (FirstBlock + block) * BlockPositions);
        hi = Math.Min(end, (FirstBlock + block + 1) * BlockPositions);
        float* partials = Partials + (long)block * Shape.HeadCount * PartialFloats;
        for (int h = 0; h < Shape.HeadCount; h++)
        {
            float* state = partials + h * PartialFloats;
            new Span<float>(state, PartialFloats).Clear();
            state[OutputFloats] = float.NegativeInfinity;
        }
        return partials;
    }

    /// <summary>Blocks [start, end) through <typeparamref name="TTile"/>.</summary>
    private readonly void AttendGrouped<TTile>(int start, int end) where TTile : IGroupTile
    {
        long exactFloats = 2L * TTile.Positions * Shape.HeadDim;
        float* scratch = (float*)Ops.MatMulScratch.Get(1, (TTile.ScratchFloats + exactFloats) * sizeof(float));
        for (int block = start; block < end; block++)
            AttendGrouped<TTile>(block, scratch);
    }

    /// <summary>One block through <typeparamref name="TTile"/>, a tile of positions × one KV head at a time.</summary>
    private readonly void AttendGrouped<TTile>(int block, float* scratch) where TTile : IGroupTile
    {
        int d = Shape.HeadDim, group = Shape.Group, kvHeads = Shape.HeadCount / group;
        float* partials = StartBlock(block, out int lo, out int hi);
        int end = Shape.Span(0).End;
        long rowBytes = (long)Shape.KvRow * TKv.ElementBytes, sliceBytes = (long)d * TKv.ElementBytes;
        float* exactKeys = scratch + TTile.ScratchFloats, exactValues = exactKeys + TTile.Positions * d;
        for (int g = 0; g < kvHeads; g++)
            Prefetch(lo, Math.Min(hi, lo + TTile.Positions), g * sliceBytes, rowBytes, sliceBytes);
        // Far enough ahead that the lines arrive in time (a DRAM round trip outlasts one small slice's arithmetic), near
        // enough that they are still in L1 when read.
        int unitsAhead = (int)Math.Max(1, PrefetchBytes / (2 * TTile.Positions * sliceBytes));
        for (int t0 = lo; t0 < hi; t0 += TTile.Positions)
        {
            int count = Math.Min(TTile.Positions, hi - t0);
            for (int g = 0; g < kvHeads; g++)
            {
                byte* keys = K + t0 * rowBytes + g * sliceBytes, values = V + t0 * rowBytes + g * sliceBytes;
                // The slice `unitsAhead` (KV head, tile) steps on heads for L1 while this one computes (past the block's end
                // too: this or another thread reads it next).
                int target = g + unitsAhead, tilesOn = target / kvHeads;
                long ahead = t0 + tilesOn * TTile.Positions < end
                    ? tilesOn * TTile.Positions * rowBytes + (target % kvHeads - g) * sliceBytes : 0;
                // A tile LoadScaled would misread (an infinity or NaN in a half cache, or a huge query) is widened exactly
                // and run as F32: the same arithmetic, so the result is what an F32 cache of the same values gives.
                bool exact = !ScaledQueryFinite || TKv.HasUnscalable(keys, values, rowBytes, count, d);
                if (exact)
                    for (int t = 0; t < count; t++)
                    {
                        TKv.Widen(keys + t * rowBytes, exactKeys + t * d, d, Path);
                        TKv.Widen(values + t * rowBytes, exactValues + t * d, d, Path);
                    }
                for (int h0 = 0; h0 < group; h0 += TTile.MaxHeads)
                {
                    int heads = Math.Min(TTile.MaxHeads, group - h0), head = g * group + h0;
                    float* state = partials + head * PartialFloats;
                    if (exact)
                        IGroupTile.Attend<TTile, F32KvRow>(heads, Q + (long)head * d, (byte*)exactKeys, (byte*)exactValues, d * sizeof(float), count, d,
                            Scale, state, PartialFloats, OutputFloats, scratch, 0);
                    else
                        IGroupTile.Attend<TTile, TKv>(heads, ScaledQ + (long)head * d, keys, values, rowBytes, count, d,
                            Scale, state, PartialFloats, OutputFloats, scratch, ahead);
                }
            }
        }
        for (int h = 0; h < Shape.HeadCount; h++)
        {
            float* state = partials + h * PartialFloats + OutputFloats;
            state[1] = TTile.Total(state + IGroupTile.SumsOffset);
        }
    }

    /// <summary>Prefetches the K and V slices at <paramref name="sliceOffset"/> of positions [from, to).</summary>
    private readonly void Prefetch(int from, int to, long sliceOffset, long rowBytes, long sliceBytes)
    {
        for (long t = from; t < to; t++)
        {
            byte* keys = K + t * rowBytes + sliceOffset, values = V + t * rowBytes + sliceOffset;
            for (long line = 0; line < sliceBytes; line += 64)
            {
                KvPrefetch.Line(keys + line);
                KvPrefetch.Line(values + line);
            }
        }
    }

    /// <summary>One block of positions for every head; its (max, sum, output) per head go straight to the partials.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private readonly void Attend(int block, float* keys, float* values, float* scores)
    {
        int d = Shape.HeadDim, group = Shape.Group, heads = Shape.HeadCount, kvHeads = heads / group;
        float* partials = StartBlock(block, out int lo, out int hi);
        long rowBytes = (long)Shape.KvRow * TKv.ElementBytes;
        bool wholeVectors = Path >= IsaPath.Avx512 && F32Tile512.Fits(d);
        for (int t0 = lo; t0 < hi; t0 += SubTile)
        {
            int count = Math.Min(SubTile, hi - t0);
            // Whole cache rows in address order (one sequential stream each for K and V), regrouped per KV head.
            for (int t = 0; t < count; t++)
                for (int g = 0; g < kvHeads; g++)
                {
                    long offset = (t0 + t) * rowBytes + (long)g * d * TKv.ElementBytes;
                    TKv.Widen(K + offset, keys + ((long)g * SubTile + t) * d, d, Path);
                    TKv.Widen(V + offset, values + ((long)g * SubTile + t) * d, d, Path);
                }
            // The next sub-tile's rows (contiguous) head for L2 while this one computes, so memory never waits on arithmetic.
            if (Sse.IsSupported)
            {
                long from = (t0 + count) * rowBytes, to = Math.Min(hi, t0 + count + SubTile) * rowBytes;
                for (long line = from; line < to; line += 64)
                {
                    Sse.Prefetch1(K + line);
                    Sse.Prefetch1(V + line);
                }
            }
            for (int h = 0; h < heads; h++)
            {
                float* k = keys + (long)(h / group) * SubTile * d, v = values + (long)(h / group) * SubTile * d;
                float* s = scores + h * SubTile, q = Q + (long)h * d;
                float* o = partials + h * PartialFloats, state = o + OutputFloats;
                if (wholeVectors)
                    F32Tile512.Scores(q, k, d, count, d, Scale, s);
                else
                    for (int t = 0; t < count; t++)
                        s[t] = F32KvRow.Dot(q, (byte*)(k + t * d), d, Path) * Scale;
                OnlineSoftmax.Update(s, count, ref state[0], ref state[1], o, d, Path);
                if (wholeVectors)
                    F32Tile512.Accumulate(o, v, d, s, count, d);
                else
                    for (int t = 0; t < count; t++)
                        F32KvRow.AddScaled(o, (byte*)(v + t * d), s[t], d, Path);
            }
        }
    }

    /// <summary>Per head: the blocks' outputs rescaled to the overall max, summed in block order, divided by the total weight.</summary>
    private readonly void Merge(int blocks)
    {
        int d = Shape.HeadDim;
        for (int h = 0; h < Shape.HeadCount; h++)
        {
            float overall = float.NegativeInfinity;
            for (int b = 0; b < blocks; b++)
                overall = Math.Max(overall, Partials[((long)b * Shape.HeadCount + h) * PartialFloats + OutputFloats]);
            var o = new Span<float>(O + (long)h * d, d);
            o.Clear();
            float total = 0;
            for (int b = 0; b < blocks; b++)
            {
                float* partial = Partials + ((long)b * Shape.HeadCount + h) * PartialFloats;
                float weight = FastExp.Exp(partial[OutputFloats] - overall);
                total += partial[OutputFloats + 1] * weight;
                VectorOps.AddScaled(o, new ReadOnlySpan<float>(partial, d), weight, Path);
            }
            VectorOps.Scale(o, 1f / total, Path);
        }
    }
}
