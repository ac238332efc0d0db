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
}
