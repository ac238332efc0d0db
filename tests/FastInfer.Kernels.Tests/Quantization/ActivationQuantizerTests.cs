using FastInfer.Kernels;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Tests.Quantization;

public unsafe class ActivationQuantizerTests
{
    /// <summary>Values that sit exactly on rounding ties after scaling, plus zeros, negatives and random values.</summary>
    private static float[] Input(int n)
    {
        var random = new Random(9);
        var x = new float[n];
        for (int i = 0; i < n; i++)
            x[i] = (i % 5) switch { 0 => 0f, 1 => (i % 254 - 127) + 0.5f, _ => (float)(random.NextDouble() * 200 - 100) };
        x[3] = 127f; // makes the scale exactly 1 in the first blocks, so the .5 values are true ties
        return x;
    }

    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q8_K)]
    public void VectorizedRowsMatchTheScalarBlocksBitForBit(GgmlType type)
    {
        var x = Input(1024);
        var scalar = new byte[GgmlTypeTraits.RowBytes(type, x.Length)];
        var vector = new byte[scalar.Length];
        Quantizer.Quantize(type, x, scalar);
        fixed (float* px = x)
        fixed (byte* pv = vector)
        {
            if (type == GgmlType.Q8_0)
                ActivationQuantizer.Quantize<BlockQ8_0>(px, pv, x.Length / 32);
            else
                ActivationQuantizer.Quantize<BlockQ8_K>(px, pv, x.Length / 256);
        }
        Assert.Equal(scalar, vector);
    }

    [Theory]
    [InlineData(GgmlType.Q8_0, float.NaN)]
    [InlineData(GgmlType.Q8_0, float.PositiveInfinity)]
    [InlineData(GgmlType.Q8_0, -0f)]
    [InlineData(GgmlType.Q8_0, 1e-30f)]
    [InlineData(GgmlType.Q8_0, -3e38f)]
    [InlineData(GgmlType.Q8_K, float.NaN)]
    [InlineData(GgmlType.Q8_K, float.NegativeInfinity)]
    [InlineData(GgmlType.Q8_K, -0f)]
    [InlineData(GgmlType.Q8_K, -3e38f)]
    public void BlocksWithSpecialValuesMatchTheScalarBlocks(GgmlType type, float special)
    {
        // The block maximum is reduced lane by lane in vector steps: a NaN, an infinity or a signed zero in any lane
        // must give the scalar maximum's bytes.
        var x = Input(512);
        for (int lane = 0; lane < 8; lane++)
            x[32 * lane + 5 * lane % 32] = special;
        AssertVectorMatchesScalar(type, x);
    }

    /// <summary>Quantizes <paramref name="x"/> both ways and asserts the same bytes.</summary>
    private static void AssertVectorMatchesScalar(GgmlType type, float[] x)
    {
        var scalar = new byte[GgmlTypeTraits.RowBytes(type, x.Length)];
        var vector = new byte[scalar.Length];
        Quantizer.Quantize(type, x, scalar);
        fixed (float* px = x)
        fixed (byte* pv = vector)
        {
            if (type == GgmlType.Q8_0)
                ActivationQuantizer.Quantize<BlockQ8_0>(px, pv, x.Length / 32);
            else
                ActivationQuantizer.Quantize<BlockQ8_K>(px, pv, x.Length / 256);
        }
        Assert.Equal(scalar, vector);
    }

    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q8_K)]
    public void TiesAndTheirNeighboursRoundAsTheScalarBlocks(GgmlType type)
    {
        // With 127 in every block the scale is 1, so each value is its own scaled value: every n + ½ for n < 127, both
        // signs, and the floats up to three steps either side of it. The vector path rounds by adding the float just
        // below ½ and truncating; a constant of ½ would round n + ½ − 1 ulp up.
        var values = new List<float>();
        for (int n = 0; n < 127; n++)
            for (int step = -3; step <= 3; step++)
            {
                float tie = n + 0.5f;
                float value = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(tie) + step);
                values.Add(value);
                values.Add(-value);
            }
        int perBlock = type == GgmlType.Q8_0 ? 31 : 255;
        int blocks = (values.Count + perBlock - 1) / perBlock;
        var x = new float[blocks * (perBlock + 1)];
        for (int b = 0; b < blocks; b++)
        {
            x[b * (perBlock + 1)] = b % 2 == 0 ? 127f : -127f;
            for (int i = 0; i < perBlock; i++)
                x[b * (perBlock + 1) + 1 + i] = values[(b * perBlock + i) % values.Count];
        }
        AssertVectorMatchesScalar(type, x);
    }

    [Theory]
    [InlineData(GgmlType.Q8_0, 1e-38f)]
    [InlineData(GgmlType.Q8_0, 1e-42f)]
    [InlineData(GgmlType.Q8_0, 0f)]
    [InlineData(GgmlType.Q8_K, 1e-38f)]
    [InlineData(GgmlType.Q8_K, 1e-42f)]
    [InlineData(GgmlType.Q8_K, 0f)]
    public void BlocksTooSmallForAFiniteReciprocalMatchTheScalarBlocks(GgmlType type, float magnitude)
    {
        // A block whose largest value is this small has a scale whose reciprocal overflows to infinity (or a zero scale):
        // the vector path must hand it to the exact steps.
        var random = new Random(3);
        var x = new float[512];
        for (int i = 0; i < x.Length; i++)
            x[i] = magnitude * (float)(random.NextDouble() * 2 - 1);
        AssertVectorMatchesScalar(type, x);
    }

    [Fact]
    public void ThroughHalfIsTheRoundTripThroughAHalf()
    {
        static void Check(float value)
        {
            float expected = Fp16.HalfToFloat(Fp16.FloatToHalf(value));
            float actual = Fp16.ThroughHalf(value);
            if (float.IsNaN(expected))
                Assert.True(float.IsNaN(actual), $"{value:R}");
            else
                Assert.True(BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(actual), $"{value:R}: {actual:R} instead of {expected:R}");
        }

        // Every exponent and many mantissas, both signs.
        for (long bits = 0; bits <= uint.MaxValue; bits += 4093)
            Check(BitConverter.UInt32BitsToSingle((uint)bits));
        // The ends of the fast range, and ties at the 13th dropped bit (to even, both ways).
        foreach (float edge in new[] { 1f / 16384, 65504f, 65520f, 1f, 0f, float.Epsilon, float.MaxValue, float.PositiveInfinity })
            for (int step = -20; step <= 20; step++)
                Check(BitConverter.UInt32BitsToSingle((uint)Math.Clamp(BitConverter.SingleToUInt32Bits(edge) + (long)step, 0, uint.MaxValue)));
        foreach (uint mantissa in new uint[] { 0x1000, 0x3000, 0x2000, 0x5000, 0x7FF000, 0x7FE000 })
            Check(BitConverter.UInt32BitsToSingle((127u << 23) | mantissa));
    }
}
