using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Isa;

namespace FastInfer.Kernels.Ops;

/// <summary>
/// F32 dot products at each vector width: the same loop the F32 matrix-vector kernel runs per row, so a dot
/// product and a one-row product give the same bits. Summation order is fixed per path, so results repeat exactly.
/// </summary>
public static unsafe class Dot
{
    public static float F32(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => F32(a, b, KernelIsa.Active);

    public static float F32(ReadOnlySpan<float> a, ReadOnlySpan<float> b, IsaPath path)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"dot of lengths {a.Length} and {b.Length}");
        fixed (float* pa = a)
        fixed (float* pb = b)
            return RowDot.Float<BlockF32>((byte*)pa, pb, a.Length, path);
    }
}
