namespace FastInfer.Kernels.Isa;

/// <summary>The vector width a kernel runs at. Ordered: a higher value needs everything a lower one needs.</summary>
public enum IsaPath
{
    /// <summary>Plain scalar C#: the reference every other path is tested against.</summary>
    Scalar = 0,
    /// <summary>128-bit vectors: SSE4 on x64, NEON (AdvSimd) on Arm64.</summary>
    V128 = 1,
    /// <summary>256-bit vectors with FMA (AVX2).</summary>
    Avx2 = 2,
    /// <summary>512-bit vectors (AVX-512 F/BW/VL).</summary>
    Avx512 = 3,
}
