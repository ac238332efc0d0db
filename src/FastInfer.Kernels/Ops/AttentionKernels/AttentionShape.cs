namespace FastInfer.Kernels.Ops.AttentionKernels;

/// <summary>The checked geometry of one attention call: heads, cache rows and which positions each query sees.</summary>
internal readonly struct AttentionShape
{
    public AttentionShape(int queryCount, int headCount, int kvHeadCount, int headDim, int first, int endOfFirstQuery, int slidingWindow,
        int queryLength, int outputLength, long keyElements, long valueElements)
    {
        if (headCount <= 0 || kvHeadCount <= 0 || headDim <= 0)
            throw new ArgumentException($"attention shape of {headCount} heads, {kvHeadCount} KV heads of {headDim} is empty");
        if (headCount % kvHeadCount != 0)
            throw new ArgumentException($"{headCount} query heads do not share {kvHeadCount} KV heads evenly");
        if (queryCount <= 0)
            throw new ArgumentException($"attention over {queryCount} queries");
        long rowValues = (long)headCount * headDim;
        if (queryLength != queryCount * rowValues || outputLength != queryLength)
            throw new ArgumentException(
                $"query ({queryLength}) and output ({outputLength}) must hold {queryCount} × {headCount} heads × {headDim} values");
        if (slidingWindow < 0)
            throw new ArgumentOutOfRangeException(nameof(slidingWindow), $"sliding window {slidingWindow} is negative");
        long kvRow = (long)kvHeadCount * headDim;
        long end = (long)endOfFirstQuery + queryCount - 1;
        if (first < 0 || endOfFirstQuery <= first || end * kvRow > keyElements || end * kvRow > valueElements)
            throw new ArgumentOutOfRangeException(nameof(endOfFirstQuery),
                $"positions [{first}, {end}) are outside a KV cache of {Math.Min(keyElements, valueElements) / kvRow} positions");
        QueryCount = queryCount;
        HeadCount = headCount;
        HeadDim = headDim;
        Group = headCount / kvHeadCount;
        KvRow = (int)kvRow;
        First = first;
        EndOfFirstQuery = endOfFirstQuery;
        SlidingWindow = slidingWindow;
    }

    public int QueryCount { get; }
    public int HeadCount { get; }
    public int HeadDim { get; }
    /// <summary>Query heads per KV head.</summary>
    public int Group { get; }
    /// <summary>Elements per cached position (all KV heads).</summary>
    public int KvRow { get; }
    public int First { get; }
    public int EndOfFirstQuery { get; }
    /// <summary>Positions a query sees counting itself; 0 for no limit.</summary>
    public int SlidingWindow { get; }

    /// <summary>Cached positions [first, end) that query <paramref name="query"/> attends (causal, windowed).</summary>
    public (int First, int End) Span(int query)
    {
        int end = EndOfFirstQuery + query;
        int first = SlidingWindow > 0 ? Math.Max(First, end - SlidingWindow) : First;
        return (first, end);
    }
}
