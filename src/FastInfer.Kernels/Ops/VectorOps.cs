using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops.Elementwise;

namespace FastInfer.Kernels.Ops;

/// <summary>Small vector operations between the big kernels. Each has an overload naming the <see cref="IsaPath"/>.</summary>
public static class VectorOps
{
    /// <summary>accumulator += x (the residual connection).</summary>
    public static void Add(Span<float> accumulator, ReadOnlySpan<float> x) => Add(accumulator, x, KernelIsa.Active);

    public static void Add(Span<float> accumulator, ReadOnlySpan<float> x, IsaPath path)
    {
        if (accumulator.Length != x.Length)
            throw new ArgumentException($"add of {accumulator.Length} and {x.Length} values");
        ElementwiseLoop.Binary<AddOperator>(accumulator, x, accumulator, path);
    }

    /// <summary>accumulator += scale · x (fused multiply-add).</summary>
    public static void AddScaled(Span<float> accumulator, ReadOnlySpan<float> x, float scale)
        => AddScaled(accumulator, x, scale, KernelIsa.Active);

    public static void AddScaled(Span<float> accumulator, ReadOnlySpan<float> x, float scale, IsaPath path)
    {
        if (accumulator.Length != x.Length)
            throw new ArgumentException($"add of {accumulator.Length} and {x.Length} values");
        ElementwiseLoop.TernaryScalar<MultiplyAddOperator>(accumulator, x, scale, accumulator, path);
    }

    public static void Scale(Span<float> x, float scale) => Scale(x, scale, KernelIsa.Active);

    public static void Scale(Span<float> x, float scale, IsaPath path)
        => ElementwiseLoop.BinaryScalar<MultiplyOperator>(x, scale, x, path);

    /// <summary>In-place softmax, max-subtracted for stability.</summary>
    public static void Softmax(Span<float> x) => Softmax(x, KernelIsa.Active);

    public static void Softmax(Span<float> x, IsaPath path)
    {
        if (x.IsEmpty)
            return;
        float max = ElementwiseLoop.Aggregate<IdentityOperator, MaxOperator>(x, path);
        float sum = ElementwiseLoop.BinaryScalarAggregate<ExpShiftedOperator, AddOperator>(x, max, x, path);
        ElementwiseLoop.BinaryScalar<MultiplyOperator>(x, 1f / sum, x, path);
    }

    /// <summary>Index of the largest value; the first on ties (greedy decoding is then reproducible). NaNs are skipped.</summary>
    public static int ArgMax(ReadOnlySpan<float> x) => ArgMax(x, KernelIsa.Active);

    public static int ArgMax(ReadOnlySpan<float> x, IsaPath path) => Selection.ArgMax(x, path);

    /// <summary>
    /// The <paramref name="k"/> largest values, best first, ties broken by the lower index; NaNs are skipped.
    /// Returns how many were written (min(k, non-NaN count)).
    /// </summary>
    public static int TopK(ReadOnlySpan<float> x, int k, Span<int> indices, Span<float> values)
        => Selection.TopK(x, k, indices, values, KernelIsa.Active);
}
