using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops.Elementwise;

namespace FastInfer.Kernels.Ops;

/// <summary>Activation functions.</summary>
public static class Activations
{
    /// <summary>gate = silu(gate) · up, the SwiGLU combination of Llama's feed-forward block.</summary>
    public static void SiluMul(Span<float> gate, ReadOnlySpan<float> up) => SiluMul(gate, up, KernelIsa.Active);

    public static void SiluMul(Span<float> gate, ReadOnlySpan<float> up, IsaPath path)
    {
        if (gate.Length != up.Length)
            throw new ArgumentException($"SwiGLU of {gate.Length} and {up.Length} values");
        ElementwiseLoop.Binary<SiluMulOperator>(gate, up, gate, path);
    }
}
