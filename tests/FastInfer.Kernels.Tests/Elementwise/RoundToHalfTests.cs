using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Ops.Elementwise;
using FastInfer.Kernels.Tests.Support;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Tests.Elementwise;

public class RoundToHalfTests
{
    /// <summary>
    /// Every half value, the midpoints between neighbours (where ties-to-even decides) and a hair either side of
    /// them, both signs, plus values past the half range, random singles and the specials.
    /// </summary>
    private static float[] Inputs()
    {
        var values = new List<float> { 0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, float.MaxValue, float.Epsilon,
            65504f, 65519.99f, 65520f, 65536f, 1e-8f, 2.98e-8f, 2.9802322e-8f, 5.9604645e-8f, 6.1035156e-5f, 6.1e-5f };
        for (int h = 0; h < 0x7C00; h++)
        {
            float value = (float)BitConverter.UInt16BitsToHalf((ushort)h);
            float next = (float)BitConverter.UInt16BitsToHalf((ushort)(h + 1));
            float mid = (value + next) / 2;
            foreach (float v in new[] { value, mid, BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(mid) - 1), BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(mid) + 1) })
            {
                values.Add(v);
                values.Add(-v);
            }
        }
        values.AddRange(RandomData.Uniform(20_000, seed: 3, low: -70000f, high: 70000f));
        values.AddRange(RandomData.Uniform(20_000, seed: 4, low: -1e-3f, high: 1e-3f));
        return values.ToArray();
    }

    [Theory, MemberData(nameof(IsaPaths.All), MemberType = typeof(IsaPaths))]
    public void Equals_the_runtime_conversion_through_Half(IsaPath path)
    {
        var x = Inputs();
        var y = new float[x.Length];
        ElementwiseLoop.Unary<RoundToHalfOperator>(x, y, path);
        for (int i = 0; i < x.Length; i++)
        {
            float expected = (float)(Half)x[i];
            if (float.IsNaN(expected))
                Assert.True(float.IsNaN(y[i]), $"{x[i]:R} gave {y[i]:R}, not NaN");
            else
                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(y[i]), $"{x[i]:R}: expected {expected:R}, got {y[i]:R}");
        }
    }

    [Theory, MemberData(nameof(IsaPaths.All), MemberType = typeof(IsaPaths))]
    public void F16_weights_multiply_activations_rounded_to_F16(IsaPath path)
    {
        const int rows = 19, columns = 96, tokens = 5;
        var weights = RandomData.Uniform(rows * columns, seed: 5, low: -1f, high: 1f);
        var x = RandomData.Uniform(tokens * columns, seed: 6, low: -3f, high: 3f);
        var half = new byte[rows * columns * 2];
        for (int i = 0; i < weights.Length; i++)
            BitConverter.TryWriteBytes(half.AsSpan(i * 2), BitConverter.HalfToUInt16Bits((Half)weights[i]));
        unsafe
        {
            fixed (byte* data = half)
            {
                var w = new WeightMatrix((nint)data, half.Length, GgmlType.F16, rows, columns);
                var decoded = new float[tokens * rows];
                var batched = new float[tokens * rows];
                using var pool = new ComputePool(2);
                for (int t = 0; t < tokens; t++)
                    MatVec.Multiply(w, x.AsSpan(t * columns, columns), decoded.AsSpan(t * rows, rows), pool, path);
                Ops.MatMul.Multiply(w, x, batched, tokens, pool, path);
                for (int t = 0; t < tokens; t++)
                {
                    for (int r = 0; r < rows; r++)
                    {
                        double exact = 0, scale = 0;
                        for (int c = 0; c < columns; c++)
                        {
                            double product = (double)(float)(Half)weights[r * columns + c] * (float)(Half)x[t * columns + c];
                            exact += product;
                            scale += Math.Abs(product);
                        }
                        // Rounding x to F16 moves a row by up to ~5e-4 of Σ|w·x|; the kernels must sit far closer to the rounded product.
                        Assert.True(Math.Abs(decoded[t * rows + r] - exact) <= 2e-6 * scale + 1e-7, $"decode row {r} token {t}: {decoded[t * rows + r]} vs {exact}");
                        Assert.True(Math.Abs(batched[t * rows + r] - exact) <= 2e-6 * scale + 1e-7, $"prefill row {r} token {t}: {batched[t * rows + r]} vs {exact}");
                    }
                }
            }
        }
    }
}
