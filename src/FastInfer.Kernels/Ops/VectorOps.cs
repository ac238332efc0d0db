namespace FastInfer.Kernels.Ops;

/// <summary>Small vector operations between the big kernels.</summary>
public static class VectorOps
{
    /// <summary>accumulator += x (the residual connection).</summary>
    public static void Add(Span<float> accumulator, ReadOnlySpan<float> x)
    {
        if (accumulator.Length != x.Length)
            throw new ArgumentException($"add of {accumulator.Length} and {x.Length} values");
        for (int i = 0; i < x.Length; i++)
            accumulator[i] += x[i];
    }

    /// <summary>accumulator += scale · x.</summary>
    public static void AddScaled(Span<float> accumulator, ReadOnlySpan<float> x, float scale)
    {
        if (accumulator.Length != x.Length)
            throw new ArgumentException($"add of {accumulator.Length} and {x.Length} values");
        for (int i = 0; i < x.Length; i++)
            accumulator[i] += scale * x[i];
    }

    public static void Scale(Span<float> x, float scale)
    {
        for (int i = 0; i < x.Length; i++)
            x[i] *= scale;
    }

    /// <summary>In-place softmax, max-subtracted for stability.</summary>
    public static void Softmax(Span<float> x)
    {
        if (x.IsEmpty)
            return;
        float max = float.NegativeInfinity;
        foreach (var v in x)
            max = MathF.Max(max, v);
        float sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = MathF.Exp(x[i] - max);
            sum += x[i];
        }
        float inv = 1f / sum;
        for (int i = 0; i < x.Length; i++)
            x[i] *= inv;
    }

    /// <summary>Index of the largest value; the first on ties (greedy decoding is then reproducible).</summary>
    public static int ArgMax(ReadOnlySpan<float> x)
    {
        if (x.IsEmpty)
            throw new ArgumentException("argmax of an empty vector");
        int best = 0;
        for (int i = 1; i < x.Length; i++)
        {
            if (x[i] > x[best])
                best = i;
        }
        return best;
    }
}
