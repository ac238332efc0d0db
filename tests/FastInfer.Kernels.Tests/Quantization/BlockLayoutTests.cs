using FastInfer.Kernels;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Tests.Quantization;

/// <summary>Hand-built blocks with known fields decode to the values ggml's formulas give.</summary>
public class BlockLayoutTests
{
    internal static float[] Decode(GgmlType type, byte[] block)
    {
        var values = new float[GgmlTypeTraits.BlockSize(type) * (block.Length / GgmlTypeTraits.BlockBytes(type))];
        Quantizer.Dequantize(type, block, values);
        return values;
    }

    internal static void WriteHalf(byte[] block, int offset, float value)
        => BitConverter.TryWriteBytes(block.AsSpan(offset, 2), Fp16.FloatToHalf(value));

    /// <summary>The plain float types are exactly those whose blocks hold one element and no scale.</summary>
    [Fact]
    public void FloatTypesAreTheOneElementBlocksOfFloats()
    {
        var floats = Enum.GetValues<GgmlType>().Where(GgmlTypeTraits.IsFloat).Order();
        Assert.Equal([GgmlType.F32, GgmlType.F16, GgmlType.F64, GgmlType.BF16], floats);
        Assert.All(floats, type => Assert.Equal(1, GgmlTypeTraits.BlockSize(type)));
    }

    [Fact]
    public void F16AndBF16DecodeSpecialValues()
    {
        ushort[] halves = [0x3c00, 0xc000, 0x0001, 0x7c00, 0xfc00, 0x0000, 0x8000, 0x7bff, 0x03ff];
        float[] expected = [1f, -2f, MathF.Pow(2, -24), float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 65504f, 1023 * MathF.Pow(2, -24)];
        var bytes = halves.SelectMany(BitConverter.GetBytes).ToArray();
        Assert.Equal(expected, Decode(GgmlType.F16, bytes));
        var bf = new ushort[] { 0x3f80, 0xc040, 0x7f80 }.SelectMany(BitConverter.GetBytes).ToArray();
        Assert.Equal([1f, -3f, float.PositiveInfinity], Decode(GgmlType.BF16, bf));
    }

    [Fact]
    public void Q8_0IsScaleTimesSignedByte()
    {
        var block = new byte[34];
        WriteHalf(block, 0, 0.5f);
        for (int j = 0; j < 32; j++)
            block[2 + j] = (byte)(sbyte)(j * 8 - 128);
        var values = Decode(GgmlType.Q8_0, block);
        for (int j = 0; j < 32; j++)
            Assert.Equal(0.5f * (j * 8 - 128), values[j]);
    }

    [Fact]
    public void Q4_0PutsLowNibblesFirstAndOffsetsByEight()
    {
        var block = new byte[18];
        WriteHalf(block, 0, 2f);
        for (int j = 0; j < 16; j++)
            block[2 + j] = (byte)(j | ((15 - j) << 4));
        var values = Decode(GgmlType.Q4_0, block);
        for (int j = 0; j < 16; j++)
        {
            Assert.Equal(2f * (j - 8), values[j]);
            Assert.Equal(2f * (15 - j - 8), values[j + 16]);
        }
    }

    [Fact]
    public void Q4_1AddsTheMinimum()
    {
        var block = new byte[20];
        WriteHalf(block, 0, 0.5f);
        WriteHalf(block, 2, -3f);
        for (int j = 0; j < 16; j++)
            block[4 + j] = (byte)((15 - j) | (j << 4));
        var values = Decode(GgmlType.Q4_1, block);
        for (int j = 0; j < 16; j++)
        {
            Assert.Equal(0.5f * (15 - j) - 3f, values[j]);
            Assert.Equal(0.5f * j - 3f, values[j + 16]);
        }
    }

    [Fact]
    public void Q5_0TakesTheFifthBitFromQhBitJ()
    {
        var block = new byte[22];
        WriteHalf(block, 0, 0.25f);
        uint qh = 0xA5C3_0F81;
        BitConverter.TryWriteBytes(block.AsSpan(2, 4), qh);
        for (int j = 0; j < 16; j++)
            block[6 + j] = (byte)(j | ((j * 5 % 16) << 4));
        var values = Decode(GgmlType.Q5_0, block);
        for (int j = 0; j < 32; j++)
        {
            int nibble = j < 16 ? j : (j - 16) * 5 % 16;
            int q = nibble | (int)((qh >> j) & 1) << 4;
            Assert.Equal(0.25f * (q - 16), values[j]);
        }
    }

    [Fact]
    public void Q8_1StoresTheQuantSumTimesTheScaleBeforeItsRounding()
    {
        // max 100: d = 100/127, which F16 rounds; s is Σq·d with the unrounded d, then rounded to F16.
        var x = new float[32];
        for (int j = 0; j < 32; j++)
            x[j] = j == 5 ? 100f : (j % 7) * 9.3f + 0.7f;
        var block = new byte[36];
        Quantizer.Quantize(GgmlType.Q8_1, x, block);
        float d = 100f / 127f;
        int sum = 0;
        for (int j = 0; j < 32; j++)
        {
            sbyte q = (sbyte)block[4 + j];
            Assert.Equal((sbyte)MathF.Round(x[j] / d, MidpointRounding.AwayFromZero), q);
            sum += q;
        }
        Assert.Equal(BitConverter.HalfToUInt16Bits((Half)d), BitConverter.ToUInt16(block, 0));
        Assert.Equal(BitConverter.HalfToUInt16Bits((Half)(sum * d)), BitConverter.ToUInt16(block, 2));
        Assert.NotEqual((float)(Half)(sum * d), sum * (float)(Half)d); // the two ways differ for this block
    }

    [Fact]
    public void Q5_1TakesTheFifthBitFromQhBitJAndAddsTheMinimum()
    {
        var block = new byte[24];
        WriteHalf(block, 0, 0.25f);
        WriteHalf(block, 2, -2.5f);
        uint qh = 0x5A3C_F00F;
        BitConverter.TryWriteBytes(block.AsSpan(4, 4), qh);
        for (int j = 0; j < 16; j++)
            block[8 + j] = (byte)((15 - j) | ((j * 3 % 16) << 4));
        var values = Decode(GgmlType.Q5_1, block);
        for (int j = 0; j < 32; j++)
        {
            int nibble = j < 16 ? 15 - j : (j - 16) * 3 % 16;
            int q = nibble | (int)((qh >> j) & 1) << 4;
            Assert.Equal(0.25f * q - 2.5f, values[j]);
        }
    }
}
