using FastInfer.Kernels;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Tests.Quantization;

/// <summary>Quantize→dequantize stays within each type's error bound, relative to the block's largest magnitude.</summary>
public class QuantizeRoundTripTests
{
    public static TheoryData<GgmlType, double> Bounds() => new()
    {
        { GgmlType.F16, 1e-3 },
        { GgmlType.BF16, 8e-3 },
        { GgmlType.Q8_0, 1.0 / 127 * 0.5 + 1e-3 },
        // The largest magnitude maps to -8, so the opposite sign clips at +7: up to a whole step there.
        { GgmlType.Q4_0, 1.0 / 8 + 2e-3 },
        // Range/15 per 32-element group, plus the 6-bit rounding of scale and min: under one step of the widest group.
        { GgmlType.Q4_1, 1.0 / 15 + 2e-3 },
        // As Q4_0: the side opposite the largest magnitude clips at +15 of 32 levels.
        { GgmlType.Q5_0, 1.0 / 16 + 2e-3 },
        // As Q4_1 with 32 levels: range/31 per group, plus the F16 rounding of scale and min.
        { GgmlType.Q5_1, 1.0 / 31 + 2e-3 },
        // 4 levels per 16 elements with 4-bit scales and mins: coarse, but bounded by the group range.
        { GgmlType.Q2_K, 0.45 },
        // Step = max/4 per 16 elements (one step each side of zero is clipped at +3), plus 6-bit scale rounding.
        { GgmlType.Q3_K, 0.3 },
        { GgmlType.Q4_K, 2.0 / 15 },
        { GgmlType.Q5_K, 2.0 / 31 },
        // Step = max/32 per 16 elements, plus the int8 rounding of the step against the block's largest.
        { GgmlType.Q6_K, 1.0 / 32 },
        { GgmlType.Q8_K, 1.0 / 127 * 0.5 + 1e-4 },
    };

    [Theory]
    [MemberData(nameof(Bounds))]
    public void ErrorStaysWithinHalfAStep(GgmlType type, double boundRelativeToBlockMax)
    {
        var random = new Random(5);
        int n = 4 * 256;
        var x = Enumerable.Range(0, n).Select(i => (float)((random.NextDouble() * 2 - 1) * (1 + i / 256))).ToArray();
        var bytes = new byte[GgmlTypeTraits.RowBytes(type, n)];
        Quantizer.Quantize(type, x, bytes);
        var back = new float[n];
        Quantizer.Dequantize(type, bytes, back);
        int group = Math.Max(32, GgmlTypeTraits.BlockSize(type));
        for (int g = 0; g < n; g += group)
        {
            float max = x.Skip(g).Take(group).Max(MathF.Abs);
            for (int i = g; i < g + group; i++)
                Assert.True(Math.Abs(x[i] - back[i]) <= boundRelativeToBlockMax * max, $"{type} element {i}: {x[i]} -> {back[i]}");
        }
    }

    [Fact]
    public void AllZeroBlocksStayZero()
    {
        foreach (var type in new[] { GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q8_K })
        {
            var bytes = new byte[GgmlTypeTraits.RowBytes(type, 256)];
            Quantizer.Quantize(type, new float[256], bytes);
            var back = new float[256];
            Quantizer.Dequantize(type, bytes, back);
            Assert.All(back, v => Assert.Equal(0f, v));
        }
    }
}
