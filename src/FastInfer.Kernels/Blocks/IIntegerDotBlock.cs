using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks.Simd;

namespace FastInfer.Kernels.Blocks;

/// <summary>
/// A weight block whose dot product runs in integers against one activation block of
/// <typeparamref name="TActivation"/> covering the same elements (Q8_0 for the 32-element types, Q8_K for the K-quants).
/// Every form returns the same integer sums per scale group; only the float combination order differs by width.
/// </summary>
public unsafe interface IIntegerDotBlock<TActivation> : IQuantBlock where TActivation : IQuantizableBlock
{
    /// <summary>Scalar reference: exact integer sums per scale group, combined in floats in block order.</summary>
    static abstract float Dot(byte* weight, byte* activation);

    /// <summary>128-bit form: adds this block's product to the lanes of <paramref name="acc"/>.</summary>
    static abstract Vector128<float> Dot128(byte* weight, byte* activation, Vector128<float> acc);

    /// <summary>256-bit form over the int8 dot step <typeparamref name="TDot"/>.</summary>
    static abstract Vector256<float> Dot256<TDot>(byte* weight, byte* activation, Vector256<float> acc)
        where TDot : struct, IInt8Dot256;
}
