using FastInfer.Engine.Formats;
using FastInfer.Kernels;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Memory;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Threading;

namespace FastInfer.Engine.Models;

/// <summary>
/// Copies each layer's Query, Key and Value matrices, and its Gate and Up matrices, row after row into one contiguous
/// matrix at load (packed too where the kernel path reads packed copies), and the <see cref="LlamaWeights"/> that use
/// them (<see cref="LayerWeights.QueryKeyValue"/>, <see cref="DenseFeedForward.GateUp"/>). These projections all read
/// the same normed input, so decode then quantizes it once and runs one pool dispatch where it ran three (or two): on
/// a 1B model at 2 threads the separate calls, K and V small enough that the sync dominates, cost more than the
/// kernels lose in bandwidth. Every row's result is its own dot product, so the logits stay bit-identical.
/// </summary>
/// <remarks>
/// Only parts of one type and column count fuse; a packed fusion needs every part but the last to fill whole row
/// groups (<see cref="PackedRowGroups.Rows"/>), so no group mixes two parts. A mixed-type file (Q4_K_M with a Q6_K
/// value matrix) fuses Query and Key only. A fusion the budget cannot hold (the contiguous rows plus their packed
/// copy) is not made: the parts stay separate and the later load steps treat them as before.
/// </remarks>
internal sealed unsafe class FusedProjectionWeights : IDisposable
{
    private readonly List<(nint Start, long Length)> _copies = [];
    private readonly List<PackedWeights> _packed = [];
    private readonly bool _pack;
    private readonly bool _copy;
    private readonly ComputePool _pool;
    private readonly WeightCopyBudget _budget;
    private readonly IMappedTensorSource? _file;

    /// <param name="pack">whether packable types get a packed copy (<see cref="ModelLoadOptions.PackWeights"/> on a
    /// kernel path that reads them); the fused packed matrix is packed here, so the packing step leaves it alone.</param>
    /// <param name="copy">whether unpacked matrices are copied out of the file (<see cref="ModelLoadOptions.CopyWeights"/>);
    /// when neither applies to a type, its matrices stay in the mapping unfused.</param>
    /// <param name="file">when the parts lie in a file mapping, their pages are released there once fused.</param>
    public FusedProjectionWeights(LlamaWeights weights, bool pack, bool copy, ComputePool pool, WeightCopyBudget budget, IMappedTensorSource? file = null)
    {
        _pack = pack;
        _copy = copy;
        _pool = pool;
        _budget = budget;
        _file = file;
        try
        {
            var layers = new LayerWeights[weights.Layers.Count];
            for (int i = 0; i < layers.Length; i++)
                layers[i] = Fuse(weights.Layers[i]);
            Weights = weights.WithLayers(layers);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The model's weights with every fusable group replaced by its fused copy.</summary>
    public LlamaWeights Weights { get; }

    /// <summary>How many fused matrices were made.</summary>
    public int Count => _copies.Count;

    /// <summary>True when <paramref name="matrix"/> lies in one of the fused copies (it is already in process memory).</summary>
    public bool Holds(WeightMatrix matrix)
    {
        foreach (var (start, length) in _copies)
        {
            if (matrix.Data >= start && matrix.Data < start + (nint)length)
                return true;
        }
        return false;
    }

    private LayerWeights Fuse(LayerWeights layer)
    {
        WeightMatrix? queryKeyValue = TryFuse([layer.Query, layer.Key, layer.Value]) ?? TryFuse([layer.Query, layer.Key]);
        var dense = layer.Dense;
        if (dense is not null && TryFuse([dense.Gate, dense.Up]) is { } gateUp)
            dense = DenseFeedForward.Stacked(gateUp, dense.Gate.Rows, dense.Down);
        if (queryKeyValue is not { } fused)
            return dense == layer.Dense ? layer : With(layer, layer.Query, layer.Key, layer.Value, null, dense);
        var (query, key, value) = LayerWeights.SlicesOf(fused, layer.Query.Rows, layer.Key.Rows, layer.Value);
        return With(layer, query, key, value, fused, dense);
    }

    private static LayerWeights With(LayerWeights layer, WeightMatrix query, WeightMatrix key, WeightMatrix value, WeightMatrix? fused, DenseFeedForward? dense) => new()
    {
        AttentionNorm = layer.AttentionNorm,
        Query = query,
        Key = key,
        Value = value,
        QueryKeyValue = fused,
        AttentionOutput = layer.AttentionOutput,
        FeedForwardNorm = layer.FeedForwardNorm,
        Dense = dense,
        Experts = layer.Experts,
    };

    /// <summary>The parts stacked row-wise in a copy of their own, packed when packing applies; null when they cannot or may not fuse.</summary>
    private WeightMatrix? TryFuse(ReadOnlySpan<WeightMatrix> parts)
    {
        var first = parts[0];
        long bytes = 0;
        int rows = 0;
        foreach (var part in parts)
        {
            if (part.Type != first.Type || part.Columns != first.Columns || part.IsPacked)
                return null;
            bytes += part.ByteLength;
            rows = checked(rows + part.Rows);
        }
        bool packs = _pack && PackedWeights.IsReadOn(KernelIsa.Active, first.Type);
        if (!packs && !_copy)
            return null;
        // A fused packed matrix keeps its fused rows beside the packed copy. Where the packed copy replaces the rows
        // (F16, BF16, the K-quants), the parts are packed one by one instead and their file pages released: with `fastinfer generate`,
        // tinyllama-1.1b F16 ran in a 4132 MiB working set fused and packed (07f4bf0), 2284 MiB so (2283 before packing).
        if (packs && PackedWeights.ReplacesRows(KernelIsa.Active, first.Type))
            return null;
        if (packs)
        {
            foreach (var part in parts[..^1])
            {
                if (part.Rows % PackedRowGroups.Rows != 0)
                    return null;
            }
        }
        if (!_budget.TryTake(bytes))
            return null;

        byte* memory = HugePageMemory.Allocate(bytes);
        long offset = 0;
        foreach (var part in parts)
        {
            ParallelCopy.Run((byte*)part.Data, memory + offset, part.ByteLength, _pool);
            offset += part.ByteLength;
        }
        var fused = new WeightMatrix((nint)memory, bytes, first.Type, rows, first.Columns);
        if (packs)
        {
            PackedWeights? packed = null;
            if (!PackedWeights.TryPack(fused, out packed, _pool) || !_budget.TryTake(packed.ByteLength))
            {
                // A non-finite scale or no room for the packed copy: the separate parts do better (those that can still pack).
                packed?.Dispose();
                HugePageMemory.Free(memory);
                _budget.Return(bytes);
                return null;
            }
            _packed.Add(packed);
            fused = packed.Matrix;
        }
        _copies.Add(((nint)memory, bytes));
        foreach (var part in parts)
            _file?.ReleasePages(part.Data, part.ByteLength);
        return fused;
    }

    public void Dispose()
    {
        foreach (var packed in _packed)
            packed.Dispose();
        _packed.Clear();
        foreach (var (start, _) in _copies)
            HugePageMemory.Free((byte*)start);
        _copies.Clear();
    }
}
