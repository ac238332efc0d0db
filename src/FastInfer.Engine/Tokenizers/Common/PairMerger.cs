namespace FastInfer.Engine.Tokenizers.Common;

/// <summary>One symbol of a word being merged: a run of the word's chars, linked to its neighbours.</summary>
internal struct MergeSymbol
{
    public int Start;
    public int Length;
    /// <summary>The token this run spells, or -1 when the vocabulary has no such piece (byte fallback).</summary>
    public int Id;
    public int Prev;
    public int Next;
}

/// <summary>Decides whether two adjacent symbols may merge, and how urgently (lower priority merges first).</summary>
internal interface IPairRanker
{
    bool TryMerge(ReadOnlySpan<char> mergedText, int leftId, int rightId, out int mergedId, out float priority);
}

/// <summary>
/// The merge loop shared by SentencePiece BPE and byte-level BPE: repeatedly merge the adjacent pair with the
/// lowest priority, the leftmost one on ties. Symbols form a doubly linked list over the word and candidate
/// pairs wait in a priority queue; a candidate made stale by an earlier merge is recognised by its recorded
/// length and skipped. That makes a word of n symbols cost O(n log n) lookups of spans (no strings are built).
/// </summary>
internal static class PairMerger
{
    private readonly record struct Candidate(int Left, int Right, int Length, int MergedId);

    /// <summary>Merges <paramref name="symbols"/> (initialised by the caller as adjacent runs of <paramref name="word"/>) in place.</summary>
    public static void Merge<TRanker>(ReadOnlySpan<char> word, Span<MergeSymbol> symbols, in TRanker ranker)
        where TRanker : struct, IPairRanker
    {
        if (symbols.Length < 2)
            return;
        var queue = new PriorityQueue<Candidate, (float Priority, int Left)>(symbols.Length);
        for (int i = 1; i < symbols.Length; i++)
            TryQueue(word, symbols, i - 1, i, ranker, queue);

        while (queue.TryDequeue(out var candidate, out _))
        {
            ref var left = ref symbols[candidate.Left];
            ref var right = ref symbols[candidate.Right];
            // A symbol that merged since this candidate was queued has changed length (or vanished).
            if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != candidate.Length)
                continue;

            left.Length = candidate.Length;
            left.Id = candidate.MergedId;
            left.Next = right.Next;
            right.Length = 0;
            if (right.Next >= 0)
                symbols[right.Next].Prev = candidate.Left;

            if (left.Prev >= 0)
                TryQueue(word, symbols, left.Prev, candidate.Left, ranker, queue);
            if (left.Next >= 0)
                TryQueue(word, symbols, candidate.Left, left.Next, ranker, queue);
        }
    }

    /// <summary>Fills <paramref name="symbols"/> as a chain of the given runs (already holding Start, Length, Id).</summary>
    public static void Link(Span<MergeSymbol> symbols)
    {
        for (int i = 0; i < symbols.Length; i++)
        {
            symbols[i].Prev = i - 1;
            symbols[i].Next = i + 1 < symbols.Length ? i + 1 : -1;
        }
    }

    private static void TryQueue<TRanker>(
        ReadOnlySpan<char> word, Span<MergeSymbol> symbols, int left, int right, in TRanker ranker,
        PriorityQueue<Candidate, (float, int)> queue)
        where TRanker : struct, IPairRanker
    {
        var l = symbols[left];
        var r = symbols[right];
        int length = l.Length + r.Length;
        if (ranker.TryMerge(word.Slice(l.Start, length), l.Id, r.Id, out int mergedId, out float priority))
            queue.Enqueue(new Candidate(left, right, length, mergedId), (priority, left));
    }
}
