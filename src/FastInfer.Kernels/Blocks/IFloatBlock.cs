using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Blocks;

/// <summary>
/// An element type that is a plain float format (F32, F16, BF16): kernels widen it to F32 vectors and use FMA
/// against F32 activations. Pointers address the first element to load.
/// </summary>
public unsafe interface IFloatBlock : IQuantizableBlock
{
    static abstract float Load(byte* element);
    static abstract Vector128<float> Load128(byte* elements);
    static abstract Vector256<float> Load256(byte* elements);
    static abstract Vector512<float> Load512(byte* elements);
}
