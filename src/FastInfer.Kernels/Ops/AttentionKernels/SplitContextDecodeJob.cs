using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops.Elementwise;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Ops.AttentionKernels;

/// <summary>
/// Decode attention (one query) split over blocks of <see cref="BlockPositions"/> cached positions, so threads share
/// the context rather than the heads, and every K/V row is read from memory once, in address order, for all the query
/// heads that use it (grouped-query attention). A block widens (F16) or copies its rows a sub-tile at a time into a
/// small F32 scratch laid out per KV head — no power-of-two strides left to thrash L1, and F16 is widened once, not once
/// per query head — and every query head scores and accumulates its KV head's tile from L1 with an online softmax. Each
/// block leaves (max, sum, unnormalised output) per head; the caller merges the blocks in position order. Blocks start
/// at absolute multiples of <see cref="BlockPositions"/>, so results do not depend on the thread count.
/// </summary>
internal unsafe struct SplitContextDecodeJob<TKv> : IRowJob where TKv : IKvRow
{
    public const int BlockPositions = 128;
    private const int SubTile = 32;

    public float* Q, O, Partials;
    public byte* K, V;
    public AttentionShape Shape;
    public int FirstBlock;
    public float Scale;
    public IsaPath Path;

    private readonly int PartialFloats => Shape.HeadDim + 2;

    public static void Run(float* q, byte* k, byte* v, float* o, AttentionShape shape, IsaPath path, ComputePool pool)
    {
        var (first, end) = shape.Span(0);
        int firstBlock = first / BlockPositions, blocks = (end - 1) / BlockPositions - firstBlock + 1;
        // Slot 0 of the caller's scratch: the shares use slot 1 (the caller runs share 0 itself).
        float* partials = (float*)Ops.MatMulScratch.Get(0, (long)blocks * shape.HeadCount * (shape.HeadDim + 2) * sizeof(float));
        var job = new SplitContextDecodeJob<TKv>
        {
            Q = q, K = k, V = v, O = o, Partials = partials, Shape = shape, Path = path,
            FirstBlock = firstBlock, Scale = 1f / MathF.Sqrt(shape.HeadDim),
        };
        long workBytes = (end - first) * 2L * shape.KvRow * TKv.ElementBytes;
        pool.For(blocks, ref job, 1, workBytes);
        job.Merge(blocks);
    }

    public readonly void Execute(int start, int end)
    {
        int d = Shape.HeadDim, heads = Shape.HeadCount;
        long tileFloats = (long)SubTile * Shape.KvRow;
        float* scratch = (float*)Ops.MatMulScratch.Get(1, (2 * tileFloats + heads * SubTile) * sizeof(float));
        float* keys = scratch, values = keys + tileFloats, scores = values + tileFloats;
        for (int block = start; block < end; block++)
            Attend(block, keys, values, scores);
    }

    /// <summary>One block of positions for every head; its (max, sum, output) per head go straight to the partials.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private readonly void Attend(int block, float* keys, float* values, float* scores)
    {
        int d = Shape.HeadDim, group = Shape.Group, heads = Shape.HeadCount, kvHeads = heads / group;
        var (first, end) = Shape.Span(0);
        int lo = Math.Max(first, (FirstBlock + block) * BlockPositions), hi = Math.Min(end, (FirstBlock + block + 1) * BlockPositions);
        long rowBytes = (long)Shape.KvRow * TKv.ElementBytes;
        float* partials = Partials + (long)block * heads * PartialFloats;
        for (int h = 0; h < heads; h++)
        {
            partials[h * PartialFloats] = float.NegativeInfinity;
            partials[h * PartialFloats + 1] = 0;
            new Span<float>(partials + h * PartialFloats + 2, d).Clear();
        }
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
                float* state = partials + h * PartialFloats, o = state + 2;
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
                overall = Math.Max(overall, Partials[((long)b * Shape.HeadCount + h) * PartialFloats]);
            var o = new Span<float>(O + (long)h * d, d);
            o.Clear();
            float total = 0;
            for (int b = 0; b < blocks; b++)
            {
                float* partial = Partials + ((long)b * Shape.HeadCount + h) * PartialFloats;
                float weight = FastExp.Exp(partial[0] - overall);
                total += partial[1] * weight;
                VectorOps.AddScaled(o, new ReadOnlySpan<float>(partial + 2, d), weight, Path);
            }
            VectorOps.Scale(o, 1f / total, Path);
        }
    }
}
