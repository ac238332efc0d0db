using System.Runtime.InteropServices;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops.AttentionKernels;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Ops;

/// <summary>
/// Grouped-query attention over a KV cache in one pass over K and V with an online (streaming) softmax,
/// for one query position (decode) or many (prefill, causal). The cache holds one row of
/// kvHeadCount × headDim values per position, in F32 or F16. A single query (decode) is split over blocks of cached
/// positions (<see cref="SplitContextDecodeJob{TKv}"/>; on AVX-512 with whole-vector heads each K/V row is read in place
/// once for up to four heads of its group by <see cref="GroupTile512"/>); many queries are spread over heads and queries.
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
        => Decode(query, keys, values, first, end, headCount, kvHeadCount, headDim, output, pool, KernelIsa.Active);

    public static void Decode(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, ReadOnlySpan<float> values,
        int first, int end, int headCount, int kvHeadCount, int headDim, Span<float> output, ComputePool pool, IsaPath path)
    {
        var shape = new AttentionShape(1, headCount, kvHeadCount, headDim, first, end, 0, query.Length, output.Length, keys.Length, values.Length);
        Run<F32KvRow>(query, MemoryMarshal.AsBytes(keys), MemoryMarshal.AsBytes(values), output, shape, pool, path);
    }

    /// <summary>Decode over a half-precision KV cache.</summary>
    public static void Decode(ReadOnlySpan<float> query, ReadOnlySpan<Half> keys, ReadOnlySpan<Half> values,
        int first, int end, int headCount, int kvHeadCount, int headDim, Span<float> output, ComputePool pool)
        => Decode(query, keys, values, first, end, headCount, kvHeadCount, headDim, output, pool, KernelIsa.Active);

    public static void Decode(ReadOnlySpan<float> query, ReadOnlySpan<Half> keys, ReadOnlySpan<Half> values,
        int first, int end, int headCount, int kvHeadCount, int headDim, Span<float> output, ComputePool pool, IsaPath path)
    {
        var shape = new AttentionShape(1, headCount, kvHeadCount, headDim, first, end, 0, query.Length, output.Length, keys.Length, values.Length);
        Run<F16KvRow>(query, MemoryMarshal.AsBytes(keys), MemoryMarshal.AsBytes(values), output, shape, pool, path);
    }

    /// <summary>Decode over a half-precision KV cache stored as raw IEEE half bits.</summary>
    public static void Decode(ReadOnlySpan<float> query, ReadOnlySpan<ushort> keys, ReadOnlySpan<ushort> values,
        int first, int end, int headCount, int kvHeadCount, int headDim, Span<float> output, ComputePool pool)
        => Decode(query, MemoryMarshal.Cast<ushort, Half>(keys), MemoryMarshal.Cast<ushort, Half>(values),
            first, end, headCount, kvHeadCount, headDim, output, pool, KernelIsa.Active);

    /// <summary>
    /// Causal attention of <paramref name="queryCount"/> consecutive query positions starting at
    /// <paramref name="firstPosition"/>, whose keys and values are already in the cache: query i sees positions
    /// [max(0, p − slidingWindow + 1), p] for p = firstPosition + i (slidingWindow 0: no window).
    /// </summary>
    /// <param name="queries">queryCount × headCount × headDim values, already rotated.</param>
    /// <param name="output">laid out as <paramref name="queries"/>.</param>
    public static void Prefill(ReadOnlySpan<float> queries, int queryCount, int firstPosition, ReadOnlySpan<float> keys,
        ReadOnlySpan<float> values, int headCount, int kvHeadCount, int headDim, Span<float> output, ComputePool pool,
        int slidingWindow = 0)
        => Prefill(queries, queryCount, firstPosition, keys, values, headCount, kvHeadCount, headDim, output, pool, slidingWindow, KernelIsa.Active);

    public static void Prefill(ReadOnlySpan<float> queries, int queryCount, int firstPosition, ReadOnlySpan<float> keys,
        ReadOnlySpan<float> values, int headCount, int kvHeadCount, int headDim, Span<float> output, ComputePool pool,
        int slidingWindow, IsaPath path)
    {
        var shape = PrefillShape(queries.Length, queryCount, firstPosition, keys.Length, values.Length, headCount, kvHeadCount, headDim, output.Length, slidingWindow);
        Run<F32KvRow>(queries, MemoryMarshal.AsBytes(keys), MemoryMarshal.AsBytes(values), output, shape, pool, path);
    }

    /// <summary>Prefill over a half-precision KV cache.</summary>
    public static void Prefill(ReadOnlySpan<float> queries, int queryCount, int firstPosition, ReadOnlySpan<Half> keys,
        ReadOnlySpan<Half> values, int headCount, int kvHeadCount, int headDim, Span<float> output, ComputePool pool,
        int slidingWindow = 0)
        => Prefill(queries, queryCount, firstPosition, keys, values, headCount, kvHeadCount, headDim, output, pool, slidingWindow, KernelIsa.Active);

    public static void Prefill(ReadOnlySpan<float> queries, int queryCount, int firstPosition, ReadOnlySpan<Half> keys,
        ReadOnlySpan<Half> values, int headCount, int kvHeadCount, int headDim, Span<float> output, ComputePool pool,
        int slidingWindow, IsaPath path)
    {
        var shape = PrefillShape(queries.Length, queryCount, firstPosition, keys.Length, values.Length, headCount, kvHeadCount, headDim, output.Length, slidingWindow);
        Run<F16KvRow>(queries, MemoryMarshal.AsBytes(keys), MemoryMarshal.AsBytes(values), output, shape, pool, path);
    }

    private static AttentionShape PrefillShape(int queryLength, int queryCount, int firstPosition, long keyElements, long valueElements,
        int headCount, int kvHeadCount, int headDim, int outputLength, int slidingWindow)
    {
        if (firstPosition < 0)
            throw new ArgumentOutOfRangeException(nameof(firstPosition), $"first query position {firstPosition} is negative");
        return new AttentionShape(queryCount, headCount, kvHeadCount, headDim, 0, firstPosition + 1, slidingWindow,
            queryLength, outputLength, keyElements, valueElements);
    }

    private static void Run<TKv>(ReadOnlySpan<float> query, ReadOnlySpan<byte> keys, ReadOnlySpan<byte> values, Span<float> output,
        AttentionShape shape, ComputePool pool, IsaPath path) where TKv : IKvRow
    {
        if (query.Overlaps(output))
            throw new ArgumentException("attention output must not overlap the queries: it is cleared before they are read");
        fixed (float* q = query)
        fixed (byte* k = keys)
        fixed (byte* v = values)
        fixed (float* o = output)
        {
            if (shape.QueryCount == 1)
                SplitContextDecodeJob<TKv>.Run(q, k, v, o, shape, path, pool);
            else if (TiledPrefillJob<TKv, PrefillTile512>.Fits(shape, path))
                TiledPrefillJob<TKv, PrefillTile512>.Run(q, k, v, o, shape, path, pool);
            else if (TiledPrefillJob<TKv, PrefillTile256>.Fits(shape, path))
                TiledPrefillJob<TKv, PrefillTile256>.Run(q, k, v, o, shape, path, pool);
            else
                FusedAttentionJob<TKv>.Run(q, k, v, o, shape, path, pool);
        }
    }
}
