using FastInfer.Kernels;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Threading;

namespace FastInfer.Accuracy.Tests;

/// <summary>
/// ggml multiplies F16 weights by activations rounded to F16 (F16's vec_dot_type is F16; only its batched tinyBLAS
/// path for rows of a multiple of 16 keeps them F32), while FastInfer keeps them F32. On stories260K's Q4_K_M file
/// (F16 ffn_down, 172 wide) that rounding, amplified by the next layers' Q8_0 activation quantization, is most of the
/// gap to llama.cpp (KL 2.5e-4; 2.2e-5 with the kernels rounding like ggml). This probe tells which behaviour the kernels have; <see cref="Models.F16Widening"/> takes F16 out of a file.
/// </summary>
internal static unsafe class F16Activations
{
    /// <summary>True when FastInfer's F16 matrix-vector product rounds its activations to F16 as ggml does.</summary>
    public static bool AreRoundedByKernels()
    {
        const int columns = 64;
        var weights = new Half[columns];
        Array.Fill(weights, (Half)1);
        // 1 + 2^-12 lies between two halves and rounds to 1; kept in F32 it adds 2^-12 per column.
        var x = new float[columns];
        Array.Fill(x, 1 + MathF.Pow(2, -12));
        var y = new float[1];
        using var pool = new ComputePool(1);
        fixed (Half* w = weights)
            MatVec.Multiply(new WeightMatrix((nint)w, columns * 2, GgmlType.F16, 1, columns), x, y, pool);
        return y[0] == columns;
    }
}
