using FastInfer.Kernels;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Threading;

namespace FastInfer.Engine.Models;

/// <summary>
/// The row-interleaved copies of a model's Q4_0/Q5_0/Q8_0/Q4_K/Q6_K matrices (<see cref="PackedWeights"/>) made once at load, and the
/// <see cref="LlamaWeights"/> that use them. The copies are only made when the active kernel path reads them (AVX2 and
/// wider); the file's own rows stay mapped for the token-embedding lookup and the narrower paths.
/// </summary>
internal sealed class PackedModelWeights : IDisposable
{
    private readonly List<PackedWeights> _copies = [];
    private readonly ComputePool _pool;
    private readonly WeightCopyBudget _budget;

    /// <param name="pool">splits the copying across the model's threads.</param>
    /// <param name="budget">matrices whose copy no longer fits stay in the file's layout.</param>
    public PackedModelWeights(LlamaWeights weights, IsaPath path, ComputePool pool, WeightCopyBudget budget)
    {
        _pool = pool;
        _budget = budget;
        try
        {
            Weights = PackedWeights.IsReadOn(path) ? weights.WithMatrices(Pack) : weights;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The model's weights with every packable matrix replaced by its packed form.</summary>
    public LlamaWeights Weights { get; }

    private WeightMatrix Pack(WeightMatrix matrix)
    {
        if (matrix.IsPacked || !PackedWeights.CanPack(matrix.Type) || !_budget.TryTake(matrix.ByteLength))
            return matrix;
        if (!PackedWeights.TryPack(matrix, out var packed, _pool))
            return matrix;
        _copies.Add(packed);
        return packed.Matrix;
    }

    public void Dispose()
    {
        foreach (var copy in _copies)
            copy.Dispose();
        _copies.Clear();
    }
}
