using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops.Elementwise;

namespace FastInfer.Kernels.Ops;

/// <summary>Normalisations.</summary>
public static class Norms
{
    /// <summary>y = x / sqrt(mean(x²) + eps) · weight (Llama's RMSNorm). y may alias x.</summary>
    public static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float epsilon, Span<float> y)
        => RmsNorm(x, weight, epsilon, y, KernelIsa.Active);

    public static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float epsilon, Span<float> y, IsaPath path)
    {
        if (weight.Length != x.Length || y.Length != x.Length)
            throw new ArgumentException($"RMSNorm of {x.Length} values with weight {weight.Length} into {y.Length}");
        if (x.IsEmpty)
            return;
        // Sum of squares in float with several vector accumulators: the relative error stays ~1e-6 at
        // model widths, and the order of additions is fixed per path, so results repeat exactly.
        float sumSquares = ElementwiseLoop.Aggregate<SquareOperator, AddOperator>(x, path);
        float scale = (float)(1.0 / Math.Sqrt((double)sumSquares / x.Length + epsilon));
        ElementwiseLoop.TernaryScalar<ScaleMultiplyOperator>(x, weight, scale, y, path);
    }
}
