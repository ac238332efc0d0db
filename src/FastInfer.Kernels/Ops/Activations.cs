namespace FastInfer.Kernels.Ops;

/// <summary>Activation functions.</summary>
public static class Activations
{
    /// <summary>gate = silu(gate) · up, the SwiGLU combination of Llama's feed-forward block.</summary>
    public static void SiluMul(Span<float> gate, ReadOnlySpan<float> up)
    {
        if (gate.Length != up.Length)
            throw new ArgumentException($"SwiGLU of {gate.Length} and {up.Length} values");
        for (int i = 0; i < gate.Length; i++)
        {
            float g = gate[i];
            gate[i] = g / (1f + MathF.Exp(-g)) * up[i];
        }
    }
}
