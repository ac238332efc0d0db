using FastInfer.Kernels.Memory;
using FastInfer.Engine.Formats;
using FastInfer.Kernels;
using FastInfer.Kernels.Threading;

namespace FastInfer.Engine.Models;

/// <summary>
/// Copies of a model's weight matrices, made once at load in the process's own memory (<see cref="HugePageMemory"/>),
/// and the <see cref="LlamaWeights"/> that read them. Decode streams every matrix once per token, and on this project's
/// machine the pages of a memory-mapped model file stream at about half the rate of anonymous memory — measured with
/// the same kernels over the same bytes, both as a matrix-vector product and as a plain read — so the F32 tinyllama
/// decoded at half its bandwidth. Matrices that already have a packed copy are left alone; the token embedding too
/// (it is only read one row per token), but its pages are touched here (<see cref="PageTouch"/>) so no decoded token
/// waits on a page fault for its row.
/// </summary>
internal sealed unsafe class ResidentModelWeights : IDisposable
{
    /// <summary>Copies start on cache-line boundaries so no vector load of a row start splits a line.</summary>
    private const long Alignment = 64;

    private byte* _memory;
    private long _used;

    /// <param name="budget">matrices whose copy no longer fits stay in the mapping.</param>
    /// <param name="file">when the weights point into a file mapping, each copied range is unmapped there afterwards so
    /// the process does not hold both (the file's pages stay in the OS's cache).</param>
    /// <param name="alreadyResident">matrices an earlier load step already copied into process memory (fused ones).</param>
    public ResidentModelWeights(LlamaWeights weights, ComputePool pool, WeightCopyBudget budget, IMappedTensorSource? file = null,
        Predicate<WeightMatrix>? alreadyResident = null)
    {
        PageTouch.Run((byte*)weights.TokenEmbedding.Data, weights.TokenEmbedding.ByteLength);
        // Decided in a first walk so one allocation holds every copy; the second walk visits the matrices in the same order.
        var copies = new List<bool>();
        long total = 0;
        weights.WithMatrices(m =>
        {
            bool copy = !m.IsPacked && alreadyResident?.Invoke(m) != true && budget.TryTake(Align(m.ByteLength));
            copies.Add(copy);
            if (copy)
                total += Align(m.ByteLength);
            return m;
        });
        if (total == 0)
        {
            Weights = weights;
            return;
        }
        _memory = HugePageMemory.Allocate(total);
        try
        {
            int next = 0;
            Weights = weights.WithMatrices(m => copies[next++] ? Copy(m, pool, file) : m);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The model's weights with every unpacked matrix replaced by its resident copy.</summary>
    public LlamaWeights Weights { get; }

    /// <summary>Bytes of native memory the copies take.</summary>
    public long ByteLength => _used;

    private static long Align(long bytes) => (bytes + Alignment - 1) & ~(Alignment - 1);

    private WeightMatrix Copy(WeightMatrix matrix, ComputePool pool, IMappedTensorSource? file)
    {
        byte* target = _memory + _used;
        _used += Align(matrix.ByteLength);
        ParallelCopy.Run((byte*)matrix.Data, target, matrix.ByteLength, pool);
        file?.ReleasePages(matrix.Data, matrix.ByteLength);
        return new WeightMatrix((nint)target, matrix.ByteLength, matrix.Type, matrix.Rows, matrix.Columns);
    }

    public void Dispose()
    {
        if (_memory != null)
            HugePageMemory.Free(_memory);
        _memory = null;
    }
}
