namespace FastInfer.Kernels.Ops;

/// <summary>Normalisations.</summary>
public static class Norms
{
    /// <summary>y = x / sqrt(mean(x²) + eps) · weight (Llama's RMSNorm). y may alias x.</summary>
    public static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float epsilon, Span<float> y)
    {
        if (weight.Length != x.Length || y.Length != x.Length)
            throw new ArgumentException($"RMSNorm of {x.Length} values with weight {weight.Length} into {y.Length}");
        // Sum of squares in double: the norm is cheap next to the matmuls and this keeps it exact enough
        // that paths and thread counts never disagree.
        double sumSquares = 0;
        foreach (var v in x)
            sumSquares += (double)v * v;
        float scale = (float)(1.0 / Math.Sqrt(sumSquares / x.Length + epsilon));
        for (int i = 0; i < x.Length; i++)
            y[i] = x[i] * scale * weight[i];
    }
}
