using System.Runtime.CompilerServices;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Blocks;

/// <summary>Shared steps of the block encoders: signed extremes, block and group ranges, 6-bit scale quantization, level rounding.</summary>
internal static unsafe class QuantizingSteps
{
    /// <summary>
    /// The 32-element types with a minimum (Q4_1, Q5_1), as ggml quantizes them: the block's minimum m and step
    /// d = (max − m)/<paramref name="maxLevel"/>, written as F16 d then m at <paramref name="block"/>; returns the reciprocal
    /// of the step (0 for a flat block) for the levels (x − m)·id + ½, truncated.
    /// </summary>
    public static float MinimumAndStep(float* x, int maxLevel, byte* block, out float min)
    {
        min = float.MaxValue;
        float max = float.MinValue;
        for (int j = 0; j < 32; j++)
        {
            min = MathF.Min(min, x[j]);
            max = MathF.Max(max, x[j]);
        }
        float d = (max - min) / maxLevel;
        Unsafe.WriteUnaligned(block, Fp16.FloatToHalf(d));
        Unsafe.WriteUnaligned(block + 2, Fp16.FloatToHalf(min));
        return d != 0 ? 1f / d : 0f;
    }

    /// <summary>The value of largest magnitude (first one on ties), sign kept: ggml's symmetric types map it to their most negative level.</summary>
    public static float SignedExtreme(float* x, int n)
    {
        float amax = 0, extreme = 0;
        for (int j = 0; j < n; j++)
        {
            if (MathF.Abs(x[j]) > amax)
            {
                amax = MathF.Abs(x[j]);
                extreme = x[j];
            }
        }
        return extreme;
    }

    /// <summary>
    /// For each group of 16: a signed step = (value of largest magnitude)/−<paramref name="negativeLevels"/>, so the
    /// extreme lands on the most negative level; returns the largest |step| (the symmetric K-quants' super-scale input).
    /// </summary>
    public static float SignedGroupSteps(float* x, int negativeLevels, Span<float> step)
    {
        float maxStep = 0;
        for (int g = 0; g < step.Length; g++)
        {
            step[g] = SignedExtreme(x + g * 16, 16) / -negativeLevels;
            maxStep = MathF.Max(maxStep, MathF.Abs(step[g]));
        }
        return maxStep;
    }

    /// <summary>
    /// For each group of <paramref name="groupSize"/>: the step that spans [min(0, lo), hi] in <paramref name="maxLevel"/>
    /// levels, and the offset −min(0, lo) ≥ 0 that the format subtracts.
    /// </summary>
    public static void GroupRanges(float* x, int groupSize, int maxLevel, Span<float> step, Span<float> offset)
    {
        for (int g = 0; g < step.Length; g++)
        {
            float lo = 0, hi = float.MinValue;
            for (int i = g * groupSize; i < (g + 1) * groupSize; i++)
            {
                lo = MathF.Min(lo, x[i]);
                hi = MathF.Max(hi, x[i]);
            }
            step[g] = (hi - lo) / maxLevel;
            offset[g] = -lo;
        }
    }

    /// <summary>Quantizes non-negative <paramref name="values"/> to 6 bits against a common fp16 scale, which it returns (rounded).</summary>
    public static float SixBitScales(ReadOnlySpan<float> values, Span<byte> quants, out ushort scaleHalf)
    {
        float max = 0;
        foreach (var v in values)
            max = MathF.Max(max, v);
        scaleHalf = Fp16.FloatToHalf(max / 63f);
        float scale = Fp16.HalfToFloat(scaleHalf);
        for (int j = 0; j < values.Length; j++)
            quants[j] = scale > 0 ? (byte)Math.Clamp((int)MathF.Round(values[j] / scale), 0, 63) : (byte)0;
        return scale;
    }

    /// <summary>round(value/step) clamped to [0, maxLevel]; 0 for an empty step.</summary>
    public static int Level(float value, float step, int maxLevel)
        => step > 0 ? Math.Clamp((int)MathF.Round(value / step), 0, maxLevel) : 0;
}
