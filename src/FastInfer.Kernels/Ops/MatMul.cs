using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops.QuantGemm;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Ops;

/// <summary>
/// Y = X·Wᵀ for many tokens (prefill): x is tokens×columns, y is tokens×rows, both row-major. Rows are split across
/// the pool (never the reduction), so results do not depend on the thread count. One token is exactly
/// <see cref="MatVec.Multiply(in WeightMatrix, ReadOnlySpan{float}, Span{float}, ComputePool, IsaPath)"/>.
/// </summary>
public static class MatMul
{
    public static void Multiply(in WeightMatrix w, ReadOnlySpan<float> x, Span<float> y, int tokens, ComputePool pool)
        => Multiply(w, x, y, tokens, pool, KernelIsa.Active);

    public static void Multiply(in WeightMatrix w, ReadOnlySpan<float> x, Span<float> y, int tokens, ComputePool pool, IsaPath path)
    {
        if (tokens < 1)
            throw new ArgumentOutOfRangeException(nameof(tokens), $"token count {tokens} must be at least 1");
        if (x.Length != (long)tokens * w.Columns)
            throw new ArgumentException($"input has {x.Length} values, {tokens} tokens of {w.Columns} columns need {(long)tokens * w.Columns}");
        if (y.Length != (long)tokens * w.Rows)
            throw new ArgumentException($"output has {y.Length} values, {tokens} tokens of {w.Rows} rows need {(long)tokens * w.Rows}");
        if (path > KernelIsa.Ceiling)
            throw new ArgumentException($"kernel path {path} is above what this CPU runs ({KernelIsa.Hardware})");
        if (tokens == 1)
        {
            MatVec.Multiply(w, x, y, pool, path);
            return;
        }
        if (PackedKernels.TryMultiply(w, x, y, tokens, pool, path))
            return;
        if (KQuantGemm.TryMultiply(w, x, y, tokens, pool, path))
            return;
        switch (w.Type)
        {
            case GgmlType.F32: MatMulFloat.Run<BlockF32>(w, x, y, tokens, pool, path); break;
            case GgmlType.F16: MatMulFloat.Run<BlockF16>(w, HalfActivations.Round(x, path), y, tokens, pool, path); break;
            case GgmlType.BF16: MatMulFloat.Run<BlockBF16>(w, x, y, tokens, pool, path); break;
            case GgmlType.Q8_0: MatMulInteger.RunShared<BlockQ8_0, BlockQ8_0>(w, x, y, tokens, pool, path); break;
            case GgmlType.Q4_0: MatMulInteger.RunShared<BlockQ4_0, BlockQ8_0>(w, x, y, tokens, pool, path); break;
            case GgmlType.Q4_1: MatMulInteger.Run<BlockQ4_1, BlockQ8_1>(w, x, y, tokens, pool, path); break;
            case GgmlType.Q5_1: MatMulInteger.Run<BlockQ5_1, BlockQ8_1>(w, x, y, tokens, pool, path); break;
            case GgmlType.Q5_0: MatMulInteger.Run<BlockQ5_0, BlockQ8_0>(w, x, y, tokens, pool, path); break;
            case GgmlType.Q2_K: MatMulInteger.Run<BlockQ2_K, BlockQ8_K>(w, x, y, tokens, pool, path); break;
            case GgmlType.Q3_K: MatMulInteger.Run<BlockQ3_K, BlockQ8_K>(w, x, y, tokens, pool, path); break;
            case GgmlType.Q4_K: MatMulInteger.Run<BlockQ4_K, BlockQ8_K>(w, x, y, tokens, pool, path); break;
            case GgmlType.Q5_K: MatMulInteger.Run<BlockQ5_K, BlockQ8_K>(w, x, y, tokens, pool, path); break;
            case GgmlType.Q6_K: MatMulInteger.Run<BlockQ6_K, BlockQ8_K>(w, x, y, tokens, pool, path); break;
            default: throw new NotSupportedException($"matrix product for {w.Type} weights is not supported");
        }
    }
}
