using FastInfer.Engine.Formats;
using FastInfer.Kernels;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Threading;

namespace FastInfer.Engine.Models;

/// <summary>
/// The row-interleaved copies of a model's Q4_0/Q5_0/Q8_0/Q4_K/Q5_K/Q6_K/F16/BF16 matrices (<see cref="PackedWeights"/>) made once at load, and the
/// <see cref="LlamaWeights"/> that use them. The copies are only made when the active kernel path reads them (AVX2 and
/// wider; AVX-512 for F16 and BF16); the file's own rows stay mapped for the token-embedding lookup and the narrower paths,
/// and their pages are released where the packed copy replaces them (<see cref="PackedWeights.ReplacesRows"/>).
/// </summary>
internal sealed class PackedModelWeights : IDisposable
{
    private readonly List<PackedWeights> _copies = [];
    private readonly ComputePool _pool;
    private readonly WeightCopyBudget _budget;
    private readonly IsaPath _path;
    private readonly IMappedTensorSource? _file;
    private readonly WeightMatrix _tokenEmbedding;

    /// <param name="pool">splits the copying across the model's threads.</param>
    /// <param name="budget">matrices whose copy no longer fits stay in the file's layout.</param>
    /// <param name="file">when the weights lie in a file mapping, the pages of the matrices whose packed copy replaces their
    /// rows (<see cref="PackedWeights.ReplacesRows"/>) are released there once packed (not the token embedding's, which
    /// the lookup reads).</param>
    public PackedModelWeights(LlamaWeights weights, IsaPath path, ComputePool pool, WeightCopyBudget budget, IMappedTensorSource? file = null)
    {
        _pool = pool;
        _budget = budget;
        _path = path;
        _file = file;
        _tokenEmbedding = weights.TokenEmbedding;
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
        if (matrix.IsPacked || !PackedWeights.IsReadOn(_path, matrix.Type) || !_budget.TryTake(matrix.ByteLength))
            return matrix;
        if (!PackedWeights.TryPack(matrix, out var packed, _pool))
        {
            _budget.Return(matrix.ByteLength);
            return matrix;
        }
        _copies.Add(packed);
        if (PackedWeights.ReplacesRows(_path, matrix.Type) && !Overlaps(matrix, _tokenEmbedding))
            _file?.ReleasePages(matrix.Data, matrix.ByteLength);
        return packed.Matrix;
    }

    private static bool Overlaps(WeightMatrix a, WeightMatrix b) => a.Data < b.Data + (nint)b.ByteLength && b.Data < a.Data + (nint)a.ByteLength;

    public void Dispose()
    {
        foreach (var copy in _copies)
            copy.Dispose();
        _copies.Clear();
    }
}
