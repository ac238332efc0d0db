using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Isa;

namespace FastInfer.Kernels.Ops.Elementwise;

/// <summary>
/// Greedy and top-k selection for sampling. Vectors only find candidates (lanes above a threshold);
/// the decision is scalar and ordered by index, so every path selects the same elements.
/// </summary>
public static class Selection
{
    /// <summary>Index of the largest value, the first on ties; NaNs are skipped (all NaN gives 0).</summary>
    public static int ArgMax(ReadOnlySpan<float> x, IsaPath path)
    {
        if (x.IsEmpty)
            throw new ArgumentException("argmax of an empty vector");
        float max = ElementwiseLoop.Aggregate<IdentityOperator, MaxOperator>(x, path);
        if (!float.IsNaN(max))
        {
            int found = FirstAtLeast(x, max, path);
            if (found >= 0)
                return found;
        }
        int best = 0;
        for (int i = 1; i < x.Length; i++)
        {
            if (x[i] > x[best] || float.IsNaN(x[best]))
                best = i;
        }
        return best;
    }

    /// <summary>
    /// Writes the <paramref name="k"/> largest values of <paramref name="x"/> best first (ties: lower index
    /// first) and their indices; NaNs are skipped. Returns the number written, min(k, count of non-NaN values).
    /// </summary>
    public static int TopK(ReadOnlySpan<float> x, int k, Span<int> indices, Span<float> values, IsaPath path)
    {
        if (k < 0)
            throw new ArgumentOutOfRangeException(nameof(k), $"top-k with k = {k}");
        k = Math.Min(k, x.Length);
        if (indices.Length < k || values.Length < k)
            throw new ArgumentException($"top-{k} needs {k} slots, got {indices.Length} indices and {values.Length} values");
        if (k == 0)
            return 0;
        // A min-heap of the best k so far, its root the worst kept; the output spans are its storage.
        var heap = new Heap(indices[..k], values[..k]);
        int i = 0;
        for (; i < x.Length && heap.Count < k; i++)
        {
            if (!float.IsNaN(x[i]))
                heap.Push(x[i], i);
        }
        if (heap.Count == k)
            ScanAbove(x, i, ref heap, path);
        int count = heap.Count;
        heap.SortBestFirst();
        return count;
    }

    /// <summary>Offers every element after <paramref name="start"/> that beats the heap's worst.</summary>
    private static void ScanAbove(ReadOnlySpan<float> x, int start, ref Heap heap, IsaPath path)
    {
        ref float p = ref MemoryMarshal.GetReference(x);
        int n = x.Length, i = start;
        // A later element with the worst kept value loses its tie on index, so only strictly larger values enter.
        if (path >= IsaPath.Avx512)
        {
            for (; i + 16 <= n; i += 16)
            {
                ulong bits = Vector512.GreaterThan(Vector512.LoadUnsafe(ref p, (nuint)i), Vector512.Create(heap.Threshold)).ExtractMostSignificantBits();
                Offer(x, i, bits, ref heap);
            }
        }
        if (path >= IsaPath.Avx2)
        {
            for (; i + 8 <= n; i += 8)
            {
                uint bits = Vector256.GreaterThan(Vector256.LoadUnsafe(ref p, (nuint)i), Vector256.Create(heap.Threshold)).ExtractMostSignificantBits();
                Offer(x, i, bits, ref heap);
            }
        }
        if (path >= IsaPath.V128)
        {
            for (; i + 4 <= n; i += 4)
            {
                uint bits = Vector128.GreaterThan(Vector128.LoadUnsafe(ref p, (nuint)i), Vector128.Create(heap.Threshold)).ExtractMostSignificantBits();
                Offer(x, i, bits, ref heap);
            }
        }
        for (; i < n; i++)
        {
            if (x[i] > heap.Threshold)
                heap.ReplaceWorst(x[i], i);
        }
    }

    private static void Offer(ReadOnlySpan<float> x, int baseIndex, ulong candidates, ref Heap heap)
    {
        while (candidates != 0)
        {
            int lane = BitOperations.TrailingZeroCount(candidates);
            candidates &= candidates - 1;
            // The threshold may have risen since the vector compare.
            float v = x[baseIndex + lane];
            if (v > heap.Threshold)
                heap.ReplaceWorst(v, baseIndex + lane);
        }
    }

    /// <summary>First index whose value is ≥ <paramref name="target"/>, or −1.</summary>
    private static int FirstAtLeast(ReadOnlySpan<float> x, float target, IsaPath path)
    {
        ref float p = ref MemoryMarshal.GetReference(x);
        int n = x.Length, i = 0;
        if (path >= IsaPath.Avx512)
        {
            for (; i + 16 <= n; i += 16)
            {
                ulong bits = Vector512.GreaterThanOrEqual(Vector512.LoadUnsafe(ref p, (nuint)i), Vector512.Create(target)).ExtractMostSignificantBits();
                if (bits != 0)
                    return i + BitOperations.TrailingZeroCount(bits);
            }
        }
        if (path >= IsaPath.Avx2)
        {
            for (; i + 8 <= n; i += 8)
            {
                uint bits = Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref p, (nuint)i), Vector256.Create(target)).ExtractMostSignificantBits();
                if (bits != 0)
                    return i + BitOperations.TrailingZeroCount(bits);
            }
        }
        if (path >= IsaPath.V128)
        {
            for (; i + 4 <= n; i += 4)
            {
                uint bits = Vector128.GreaterThanOrEqual(Vector128.LoadUnsafe(ref p, (nuint)i), Vector128.Create(target)).ExtractMostSignificantBits();
                if (bits != 0)
                    return i + BitOperations.TrailingZeroCount(bits);
            }
        }
        for (; i < n; i++)
        {
            if (x[i] >= target)
                return i;
        }
        return -1;
    }

    /// <summary>A binary min-heap over (value, index) where "worse" is a smaller value, or the same value at a higher index.</summary>
    private ref struct Heap(Span<int> indices, Span<float> values)
    {
        private readonly Span<int> _indices = indices;
        private readonly Span<float> _values = values;

        public int Count { get; private set; }

        public readonly float Threshold => _values[0];

        public void Push(float value, int index)
        {
            int at = Count++;
            _values[at] = value;
            _indices[at] = index;
            SiftUp(at);
        }

        public void ReplaceWorst(float value, int index)
        {
            _values[0] = value;
            _indices[0] = index;
            SiftDown(0, Count);
        }

        /// <summary>Heapsort: moving the worst to the back each time leaves the spans ordered best first.</summary>
        public void SortBestFirst()
        {
            for (int end = Count - 1; end > 0; end--)
            {
                Swap(0, end);
                SiftDown(0, end);
            }
        }

        private readonly bool Worse(int a, int b)
            => _values[a] < _values[b] || (_values[a] == _values[b] && _indices[a] > _indices[b]);

        private readonly void Swap(int a, int b)
        {
            (_values[a], _values[b]) = (_values[b], _values[a]);
            (_indices[a], _indices[b]) = (_indices[b], _indices[a]);
        }

        private readonly void SiftUp(int at)
        {
            while (at > 0)
            {
                int parent = (at - 1) / 2;
                if (!Worse(at, parent))
                    return;
                Swap(at, parent);
                at = parent;
            }
        }

        private readonly void SiftDown(int at, int count)
        {
            while (true)
            {
                int worst = at, left = 2 * at + 1, right = left + 1;
                if (left < count && Worse(left, worst))
                    worst = left;
                if (right < count && Worse(right, worst))
                    worst = right;
                if (worst == at)
                    return;
                Swap(at, worst);
                at = worst;
            }
        }
    }
}
