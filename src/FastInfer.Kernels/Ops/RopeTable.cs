namespace FastInfer.Kernels.Ops;

/// <summary>
/// Rotary position embedding with its cos/sin values computed once at load for every position
/// up to the context length, so applying it per token is a table lookup.
/// </summary>
public sealed class RopeTable
{
    private readonly float[] _cos;
    private readonly float[] _sin;

    /// <param name="headDim">elements per head.</param>
    /// <param name="rotaryDim">leading elements of each head that rotate (usually all of them).</param>
    /// <param name="maxPositions">context length.</param>
    /// <param name="theta">base frequency (10000 for Llama 2, 500000 for Llama 3, 1e6 for Mixtral).</param>
    public RopeTable(int headDim, int rotaryDim, int maxPositions, float theta, RopeLayout layout)
    {
        if (rotaryDim <= 0 || rotaryDim > headDim || rotaryDim % 2 != 0)
            throw new ArgumentException($"rotary dimension {rotaryDim} must be even and at most the head size {headDim}");
        if (maxPositions <= 0)
            throw new ArgumentException($"context length {maxPositions} must be positive");
        HeadDim = headDim;
        RotaryDim = rotaryDim;
        MaxPositions = maxPositions;
        Layout = layout;
        int pairs = rotaryDim / 2;
        _cos = new float[(long)maxPositions * pairs];
        _sin = new float[(long)maxPositions * pairs];
        for (int p = 0; p < maxPositions; p++)
        {
            for (int i = 0; i < pairs; i++)
            {
                // Angles in double: at long contexts float angles drift far enough to change logits.
                double frequency = 1.0 / Math.Pow(theta, 2.0 * i / rotaryDim);
                double angle = p * frequency;
                _cos[p * pairs + i] = (float)Math.Cos(angle);
                _sin[p * pairs + i] = (float)Math.Sin(angle);
            }
        }
    }

    public int HeadDim { get; }
    public int RotaryDim { get; }
    public int MaxPositions { get; }
    public RopeLayout Layout { get; }

    /// <summary>Rotates every head in <paramref name="heads"/> (headCount × HeadDim values) for one position.</summary>
    public void Apply(Span<float> heads, int headCount, int position)
    {
        if ((uint)position >= (uint)MaxPositions)
            throw new ArgumentOutOfRangeException(nameof(position), $"position {position} is past the context of {MaxPositions}");
        if (heads.Length != headCount * HeadDim)
            throw new ArgumentException($"{heads.Length} values are not {headCount} heads of {HeadDim}");
        int pairs = RotaryDim / 2;
        var cos = _cos.AsSpan(position * pairs, pairs);
        var sin = _sin.AsSpan(position * pairs, pairs);
        for (int h = 0; h < headCount; h++)
        {
            var head = heads.Slice(h * HeadDim, HeadDim);
            if (Layout == RopeLayout.Interleaved)
            {
                for (int i = 0; i < pairs; i++)
                {
                    float a = head[2 * i], b = head[2 * i + 1];
                    head[2 * i] = a * cos[i] - b * sin[i];
                    head[2 * i + 1] = a * sin[i] + b * cos[i];
                }
            }
            else
            {
                for (int i = 0; i < pairs; i++)
                {
                    float a = head[i], b = head[i + pairs];
                    head[i] = a * cos[i] - b * sin[i];
                    head[i + pairs] = a * sin[i] + b * cos[i];
                }
            }
        }
    }
}
