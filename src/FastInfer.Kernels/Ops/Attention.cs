using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Ops;

/// <summary>
/// Grouped-query attention of one query position over a KV cache, in one pass over K and V with an
/// online (streaming) softmax: each head keeps its running max, normaliser and weighted value sum.
/// </summary>
public static unsafe class Attention
{
    /// <param name="query">headCount × headDim values, already rotated.</param>
    /// <param name="keys">the layer's key cache: one row of kvHeadCount × headDim per position.</param>
    /// <param name="values">the layer's value cache, laid out as <paramref name="keys"/>.</param>
    /// <param name="first">first cached position attended (0, or the start of a sliding window).</param>
    /// <param name="end">one past the last position attended (the query's own position + 1).</param>
    /// <param name="output">headCount × headDim values.</param>
    public static void Decode(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, ReadOnlySpan<float> values,
        int first, int end, int headCount, int kvHeadCount, int headDim, Span<float> output, ComputePool pool)
    {
        if (headCount % kvHeadCount != 0)
            throw new ArgumentException($"{headCount} query heads do not share {kvHeadCount} KV heads evenly");
        int kvRow = kvHeadCount * headDim;
        if (query.Length != headCount * headDim || output.Length != query.Length)
            throw new ArgumentException("query or output size does not match the head shape");
        if (first < 0 || end <= first || (long)end * kvRow > keys.Length || (long)end * kvRow > values.Length)
            throw new ArgumentOutOfRangeException(nameof(end), $"positions [{first}, {end}) are outside the KV cache");
        fixed (float* q = query)
        fixed (float* k = keys)
        fixed (float* v = values)
        fixed (float* o = output)
        {
            var job = new Job
            {
                Q = q, K = k, V = v, O = o, First = first, End = end,
                HeadDim = headDim, KvRow = kvRow, Group = headCount / kvHeadCount,
                Scale = 1f / MathF.Sqrt(headDim), Path = KernelIsa.Active,
            };
            pool.For(headCount, ref job);
        }
    }

    private struct Job : IRowJob
    {
        public float* Q, K, V, O;
        public int First, End, HeadDim, KvRow, Group;
        public float Scale;
        public IsaPath Path;

        public void Execute(int startHead, int endHead)
        {
            for (int h = startHead; h < endHead; h++)
            {
                var q = new ReadOnlySpan<float>(Q + h * HeadDim, HeadDim);
                var o = new Span<float>(O + h * HeadDim, HeadDim);
                o.Clear();
                int kvOffset = h / Group * HeadDim;
                float max = float.NegativeInfinity, sum = 0;
                for (int t = First; t < End; t++)
                {
                    var k = new ReadOnlySpan<float>(K + (long)t * KvRow + kvOffset, HeadDim);
                    float score = Dot.F32(q, k, Path) * Scale;
                    var v = new ReadOnlySpan<float>(V + (long)t * KvRow + kvOffset, HeadDim);
                    if (score > max)
                    {
                        // A new maximum rescales what has been accumulated so far.
                        float correction = MathF.Exp(max - score);
                        sum *= correction;
                        VectorOps.Scale(o, correction);
                        max = score;
                    }
                    float weight = MathF.Exp(score - max);
                    sum += weight;
                    VectorOps.AddScaled(o, v, weight);
                }
                VectorOps.Scale(o, 1f / sum);
            }
        }
    }
}
