using FastInfer.Kernels;
using static FastInfer.Kernels.Tests.Quantization.BlockLayoutTests;

namespace FastInfer.Kernels.Tests.Quantization;

/// <summary>K-quant blocks with hand-set scales, mins and quants decode to ggml's formulas.</summary>
public class KQuantLayoutTests
{
    // ggml's get_scale_min_k4, restated: groups 0-3 in the low 6 bits of bytes 0-7, groups 4-7 split over bytes 8-11
    // (low 4 bits) and the top 2 bits of bytes 0-7.
    private static (int Scale, int Min) ScaleMin(byte[] s, int j) => j < 4
        ? (s[j] & 63, s[j + 4] & 63)
        : ((s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4), (s[j + 4] >> 4) | ((s[j] >> 6) << 4));

    private static byte[] ScaleBytes() =>
        [0x41, 0x82, 0xC3, 0x04, 0x45, 0x86, 0xC7, 0x08, 0x9A, 0xBC, 0xDE, 0xF1];

    [Fact]
    public void Q4_KScalesMinsAndNibbles()
    {
        var block = new byte[144];
        WriteHalf(block, 0, 0.25f);
        WriteHalf(block, 2, 0.5f);
        var scales = ScaleBytes();
        scales.CopyTo(block, 4);
        for (int i = 0; i < 128; i++)
            block[16 + i] = (byte)(i * 7);
        var values = Decode(GgmlType.Q4_K, block);
        // Hand check of one value: group 5 (high nibbles of qs[64..96)), element 2*64+32+3 = 163 reads qs[64+3].
        var (sc5, m5) = ScaleMin(scales, 5);
        Assert.Equal((0xBC & 0x0F) | ((0x82 >> 6) << 4), sc5); // bytes 9 and 1
        Assert.Equal((0xBC >> 4) | ((0x86 >> 6) << 4), m5);
        Assert.Equal(0.25f * sc5 * ((67 * 7 & 0xFF) >> 4) - 0.5f * m5, values[163]);
        for (int i = 0; i < 256; i++)
        {
            var (sc, m) = ScaleMin(scales, i / 32);
            byte packed = block[16 + (i / 64) * 32 + i % 32];
            int q = (i / 32) % 2 == 0 ? packed & 0x0F : packed >> 4;
            Assert.Equal(0.25f * sc * q - 0.5f * m, values[i]);
        }
    }

    [Fact]
    public void Q5_KAddsTheHighBitFromQh()
    {
        var block = new byte[176];
        WriteHalf(block, 0, 0.125f);
        WriteHalf(block, 2, 1f);
        var scales = ScaleBytes();
        scales.CopyTo(block, 4);
        for (int l = 0; l < 32; l++)
            block[16 + l] = (byte)(l * 37);
        for (int i = 0; i < 128; i++)
            block[48 + i] = (byte)(i * 11 + 3);
        var values = Decode(GgmlType.Q5_K, block);
        for (int i = 0; i < 256; i++)
        {
            var (sc, m) = ScaleMin(scales, i / 32);
            int l = i % 32;
            byte packed = block[48 + (i / 64) * 32 + l];
            int q = (i / 32) % 2 == 0 ? packed & 0x0F : packed >> 4;
            q += ((block[16 + l] >> (i / 32)) & 1) * 16;
            Assert.Equal(0.125f * sc * q - 1f * m, values[i]);
        }
    }

    [Fact]
    public void Q6_KLowNibblesHighPairsAndSignedScales()
    {
        var block = new byte[210];
        for (int i = 0; i < 128; i++)
            block[i] = (byte)(i * 13 + 5);
        for (int i = 0; i < 64; i++)
            block[128 + i] = (byte)(i * 29 + 1);
        for (int g = 0; g < 16; g++)
            block[192 + g] = (byte)(sbyte)(g * 9 - 70);
        WriteHalf(block, 208, 0.5f);
        var values = Decode(GgmlType.Q6_K, block);
        // ggml's loop: per 128-element half n, l < 32: y[l], y[l+32], y[l+64], y[l+96].
        for (int n = 0; n < 2; n++)
        {
            for (int l = 0; l < 32; l++)
            {
                int ql0 = block[64 * n + l], ql1 = block[64 * n + l + 32], qh = block[128 + 32 * n + l];
                int[] q = [(ql0 & 15) | ((qh & 3) << 4), (ql1 & 15) | (((qh >> 2) & 3) << 4),
                           (ql0 >> 4) | (((qh >> 4) & 3) << 4), (ql1 >> 4) | (((qh >> 6) & 3) << 4)];
                for (int k = 0; k < 4; k++)
                {
                    sbyte scale = (sbyte)block[192 + 8 * n + l / 16 + 2 * k];
                    Assert.Equal(0.5f * scale * (q[k] - 32), values[128 * n + 32 * k + l]);
                }
            }
        }
    }

    [Fact]
    public void Q8_KCarriesGroupSumsOfItsQuants()
    {
        var x = Enumerable.Range(0, 256).Select(i => MathF.Sin(i * 0.3f) * 3).ToArray();
        var block = new byte[292];
        FastInfer.Kernels.Quantization.Quantizer.Quantize(GgmlType.Q8_K, x, block);
        float d = BitConverter.ToSingle(block, 0);
        Assert.Equal(x.Max(MathF.Abs) / 127f, d);
        for (int g = 0; g < 16; g++)
        {
            int sum = 0;
            for (int j = 0; j < 16; j++)
                sum += (sbyte)block[4 + 16 * g + j];
            Assert.Equal(sum, BitConverter.ToInt16(block, 260 + 2 * g));
        }
    }

    [Fact]
    public void Q2_KTwoBitQuantsWithNibbleScalesAndMins()
    {
        var block = new byte[84];
        for (int g = 0; g < 16; g++)
            block[g] = (byte)((g % 16) | ((15 - g) << 4));
        for (int i = 0; i < 64; i++)
            block[16 + i] = (byte)(i * 53 + 7);
        WriteHalf(block, 80, 0.5f);
        WriteHalf(block, 82, 0.25f);
        var values = Decode(GgmlType.Q2_K, block);
        // ggml's loop: per 128-element half n, shift 0,2,4,6 over qs[32n..32n+32), 16 elements per scale byte.
        int index = 0, scale = 0;
        for (int n = 0; n < 2; n++)
        {
            for (int shift = 0; shift < 8; shift += 2)
            {
                for (int s = 0; s < 2; s++, scale++)
                {
                    for (int l = 0; l < 16; l++, index++)
                    {
                        int q = (block[16 + 32 * n + 16 * s + l] >> shift) & 3;
                        Assert.Equal(0.5f * (block[scale] & 15) * q - 0.25f * (block[scale] >> 4), values[index]);
                    }
                }
            }
        }
    }

    [Fact]
    public void Q3_KSignedSixBitScalesAndHighBitMask()
    {
        var block = new byte[110];
        for (int i = 0; i < 32; i++)
            block[i] = (byte)(i * 73 + 11);
        for (int i = 0; i < 64; i++)
            block[32 + i] = (byte)(i * 41 + 3);
        byte[] scales = [0x1F, 0xE2, 0x3C, 0x47, 0x8A, 0x95, 0x06, 0xD1, 0xB4, 0x2E, 0x73, 0xC8];
        scales.CopyTo(block, 96);
        WriteHalf(block, 108, 0.125f);
        var values = Decode(GgmlType.Q3_K, block);
        // ggml's per-scale formula, restated with the four byte-range cases.
        int Scale(int k) => k switch
        {
            < 4 => (scales[k] & 0xF) | ((scales[k + 8] & 3) << 4),
            < 8 => (scales[k] & 0xF) | (((scales[k + 4] >> 2) & 3) << 4),
            < 12 => (scales[k - 8] >> 4) | (((scales[k] >> 4) & 3) << 4),
            _ => (scales[k - 8] >> 4) | (((scales[k - 4] >> 6) & 3) << 4),
        } - 32;
        for (int n = 0; n < 2; n++)
            for (int j = 0; j < 4; j++)
                for (int l = 0; l < 32; l++)
                {
                    int q = ((block[32 + 32 * n + l] >> (2 * j)) & 3) - ((block[l] >> (4 * n + j) & 1) != 0 ? 0 : 4);
                    int index = 128 * n + 32 * j + l;
                    Assert.Equal(0.125f * Scale(index / 16) * q, values[index]);
                }
    }
}
