using FastInfer.Engine.Formats;
using FastInfer.Kernels;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Memory;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Threading;

namespace FastInfer.Engine.Models;

/// <summary>
/// Copies each layer's Query, Key and Value matrices, and its Gate and Up matrices, row after row into one contiguous
/// matrix at load, and the <see cref="LlamaWeights"/> that use them (<see cref="LayerWeights.QueryKeyValue"/>,
/// <see cref="DenseFeedForward.GateUp"/>). These projections all read the same normed input, so decode then quantizes
/// it once and runs one pool dispatch where it ran three (or two): on a 1B model at 2 threads the separate calls, K and
/// V small enough that the sync dominates, cost more than the kernels lose in bandwidth. Every row's result is its own
/// dot product, so the logits stay bit-identical.
/// </summary>
/// <remarks>
/// Only copied matrices fuse (<see cref="ModelLoadOptions.CopyWeights"/>), of one type and column count; a mixed-type
/// file (Q4_K_M with a Q6_K value matrix) fuses Query and Key only. Matrices the kernels read packed are not stacked:
/// their packed copies replace the rows (<see cref="PackedWeights.ReplacesRows"/>), so the file's pages are released,
/// and decode runs the parts as one call of the packed kernels all the same
/// (<see cref="Kernels.Ops.MatVec.Multiply(ReadOnlySpan{WeightMatrix}, ReadOnlySpan{float}, Span{float}, ComputePool)"/>).
/// A fusion the budget cannot hold is not made: the parts stay separate and the later load steps treat them as before.
/// </remarks>
internal sealed unsafe class FusedProjectionWeights : IDisposable
{
    private readonly List<(nint Start, long Length)> _copies = [];
    private readonly bool _pack;
    private readonly bool _copy;
    private readonly ComputePool _pool;
    private readonly WeightCopyBudget _budget;
    private readonly IMappedTensorSource? _file;

    /// <param name="pack">whether packable types get a packed copy (<see cref="ModelLoadOptions.PackWeights"/> on a
    /// kernel path that reads them); those are left to the packing step, unfused.</param>
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

    /// <summary>The parts stacked row-wise in a copy of their own; null when they cannot or may not fuse.</summary>
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
        // A stacked copy of packed parts kept its rows beside the packed copy: with `fastinfer generate`, tinyllama-1.1b
        // F16 ran in a 4132 MiB working set fused and packed (07f4bf0), 2284 MiB packed part by part; Q4_0 in 1270 MiB
        // against 686 MiB (the file is 591 MiB), Q8_0 in 2221 against 1173 MiB.
        if (!_copy || (_pack && PackedWeights.IsReadOn(KernelIsa.Active, first.Type)))
            return null;
        if (!_budget.TryTake(bytes))
            return null;

        byte* memory = HugePageMemory.Allocate(bytes);
        long offset = 0;
        foreach (var part in parts)
        {
            ParallelCopy.Run((byte*)part.Data, memory + offset, part.ByteLength, _pool);
            offset += part.ByteLength;
        }
        _copies.Add(((nint)memory, bytes));
        foreach (var part in parts)
            _file?.ReleasePages(part.Data, part.ByteLength);
        return new WeightMatrix((nint)memory, bytes, first.Type, rows, first.Columns);
    }

    public void Dispose()
    {
        foreach (var (start, _) in _copies)
            HugePageMemory.Free((byte*)start);
        _copies.Clear();
    }
}
