using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Packed;

internal static class PackedPairStack
{
    /// <summary>The most parts one stacked call takes: a layer's query, key and value.</summary>
    public const int MaxParts = 3;
}

/// <summary>
/// Decode of a stack of packed matrices of one type and width against the same input, as one pool call: the pairs of
/// all parts form one range that the threads claim from, and each claimed run is handed to its part's
/// <see cref="PackedPairMatVec{TKernel}"/> (split where it crosses into the next part). A layer's query, key and value
/// (or gate and up) then cost one dispatch and one preparation of the input, as a fused matrix does, without a stacked
/// row-major copy beside the packed ones. Every row is the same arithmetic as in a call of its own, so the bits are too.
/// </summary>
internal unsafe struct PackedPairStack<TKernel> : IRowJob where TKernel : struct, IPackedPairKernel
{
    private PackedPairMatVec<TKernel> _part0, _part1, _part2;
    // The first pair of parts 1 and 2 in the stacked range, and its end.
    private int _start1, _start2;

    public int PairCount { get; private set; }

    /// <summary>The job for <paramref name="parts"/> (1..<see cref="PackedPairStack.MaxParts"/>, packed), their outputs
    /// one after another from <paramref name="y"/>; <paramref name="workBytes"/> is what the whole call reads.</summary>
    public static PackedPairStack<TKernel> Create(ReadOnlySpan<WeightMatrix> parts, TKernel kernel, float* y, out long workBytes)
    {
        if (parts.Length is < 1 or > PackedPairStack.MaxParts)
            throw new ArgumentOutOfRangeException(nameof(parts), $"a stack holds 1 to {PackedPairStack.MaxParts} matrices, not {parts.Length}");
        var stack = new PackedPairStack<TKernel>();
        int pairs = 0;
        workBytes = 0;
        for (int p = 0; p < parts.Length; p++)
        {
            var w = parts[p];
            var job = new PackedPairMatVec<TKernel> { View = w.Packed, Rows = w.Rows, Kernel = kernel, Y = y };
            if (p == 0)
                stack._part0 = job;
            else if (p == 1)
                (stack._part1, stack._start1) = (job, pairs);
            else
                (stack._part2, stack._start2) = (job, pairs);
            pairs += PackedPairMatVec<TKernel>.PairCount(w.Packed, w.Rows);
            workBytes += w.Packed.GroupCount(w.Rows) * w.Packed.GroupBytes;
            y += w.Rows;
        }
        stack.PairCount = pairs;
        if (parts.Length < 3)
            stack._start2 = pairs;
        if (parts.Length < 2)
            stack._start1 = pairs;
        return stack;
    }

    public void Execute(int firstPair, int endPair)
    {
        Run(ref _part0, 0, _start1, firstPair, endPair);
        Run(ref _part1, _start1, _start2, firstPair, endPair);
        Run(ref _part2, _start2, PairCount, firstPair, endPair);
    }

    /// <summary>The claimed pairs [first, end) that fall in a part's [start, end), in that part's own numbering.</summary>
    private static void Run(ref PackedPairMatVec<TKernel> part, int partStart, int partEnd, int first, int end)
    {
        int from = Math.Max(first, partStart), to = Math.Min(end, partEnd);
        if (from < to)
            part.Execute(from - partStart, to - partStart);
    }
}
