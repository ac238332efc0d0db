using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Ops;

/// <summary>Y = X·Wᵀ for many tokens (prefill).</summary>
public static class MatMul
{
    public static void Multiply(in WeightMatrix w, ReadOnlySpan<float> x, Span<float> y, int tokens, ComputePool pool)
    {
        for (int t = 0; t < tokens; t++)
            MatVec.Multiply(w, x.Slice(t * w.Columns, w.Columns), y.Slice(t * w.Rows, w.Rows), pool);
    }
}
