using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Quantization;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Tests.Packed;

public unsafe class PackedActivationsTests
{
    private const int Blocks = 5;

    /// <summary>
    /// Rows that probe the quantizer's edges: random magnitudes, an all-zero block, exact halves after scaling
    /// (the round-away-from-zero cases), a lone spike, subnormal-sized values and scales past F16's range.
    /// </summary>
    private static float[] Activations(int tokens)
    {
        var random = new Random(tokens);
        var x = new float[tokens * Blocks * 32];
        for (int i = 0; i < x.Length; i++)
            x[i] = (float)(random.NextDouble() * 2 - 1) * MathF.Pow(10, random.Next(-3, 3));
        for (int t = 0; t < tokens; t++)
        {
            var row = x.AsSpan(t * Blocks * 32, Blocks * 32);
            row.Slice(0, 32).Clear();
            for (int i = 0; i < 32; i++)
                row[32 + i] = (i - 16) * 127f / 32f / 2f; // max 63.5, so x·127/63.5 lands on halves
            row[64 + t % 32] = -1000f;
            for (int i = 0; i < 32; i++)
                row[96 + i] = (i % 3 - 1) * 1e-6f;
            row[128 + t % 32] = 1e7f;
        }
        return x;
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(3, 8)]
    [InlineData(7, 16)]
    public void MatchesTheQ8_0BlocksOfTheRowMajorKernels(int tokens, int zeroPoint)
    {
        var x = Activations(tokens);
        var block = new byte[BlockQ8_0.ByteCount * Blocks];
        using var pool = new ComputePool(2);
        fixed (float* px = x)
        fixed (byte* q8 = block)
        {
            var prepared = PackedActivations.Prepare(px, tokens, Blocks, zeroPoint, withMinimumScales: false, pool);
            for (int t = 0; t < tokens; t++)
            {
                ActivationQuantizer.Quantize<BlockQ8_0>(px + t * Blocks * 32, q8, Blocks);
                for (int b = 0; b < Blocks; b++)
                {
                    var expected = new ReadOnlySpan<sbyte>(q8 + b * BlockQ8_0.ByteCount + 2, 32);
                    Assert.Equal(expected.ToArray(), new ReadOnlySpan<sbyte>(prepared.Quants(t) + b * 32, 32).ToArray());
                    Assert.Equal(Fp16.Load(q8 + b * BlockQ8_0.ByteCount) * PackedScales.Rescale, prepared.Scales(t)[b]);
                    int sum = 0;
                    foreach (sbyte q in expected)
                        sum += q;
                    Assert.Equal(-zeroPoint * sum, prepared.Corrections(t)[b]);
                }
            }
        }
    }

    /// <summary>The minimum term's d·Σq is the s of the Q8_1 block the row-major Q4_1 and Q5_1 kernels get, as ggml's (times the
    /// rescale the packed scales take out).</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void MinimumScalesAreTheSOfTheQ8_1Blocks(int tokens)
    {
        var x = Activations(tokens);
        x[70] = float.NaN; // a special block takes the exact path
        var block = new byte[BlockQ8_1.ByteCount * Blocks];
        using var pool = new ComputePool(2);
        fixed (float* px = x)
        fixed (byte* q8 = block)
        {
            var prepared = PackedActivations.Prepare(px, tokens, Blocks, 0, withMinimumScales: true, pool);
            for (int t = 0; t < tokens; t++)
            {
                Quantizer.Quantize(GgmlType.Q8_1, x.AsSpan(t * Blocks * 32, Blocks * 32), block);
                for (int b = 0; b < Blocks; b++)
                {
                    float expected = Fp16.Load(q8 + b * BlockQ8_1.ByteCount + 2) * PackedScales.Rescale;
                    Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(prepared.MinimumScales(t)[b]));
                }
            }
        }
    }
    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.NegativeInfinity)]
    [InlineData(1e-40f)]
    public void BlocksWithSpecialValuesMatchTheRowMajorQuantizer(float special)
    {
        // Such blocks leave the fast path of the packed preparation for its exact steps; the row-major quantizer's
        // bytes for them are checked against the scalar blocks elsewhere.
        var x = Activations(1);
        x[40] = special;
        for (int i = 96; i < 128; i++)
            x[i] = special * (i % 2 == 0 ? 1 : -0.5f);
        var block = new byte[BlockQ8_0.ByteCount * Blocks];
        using var pool = new ComputePool(1);
        fixed (float* px = x)
        fixed (byte* q8 = block)
        {
            var prepared = PackedActivations.Prepare(px, 1, Blocks, 8, withMinimumScales: false, pool);
            ActivationQuantizer.Quantize<BlockQ8_0>(px, q8, Blocks);
            for (int b = 0; b < Blocks; b++)
            {
                var expected = new ReadOnlySpan<sbyte>(q8 + b * BlockQ8_0.ByteCount + 2, 32).ToArray();
                Assert.Equal(expected, new ReadOnlySpan<sbyte>(prepared.Quants(0) + b * 32, 32).ToArray());
                float scale = Fp16.Load(q8 + b * BlockQ8_0.ByteCount) * PackedScales.Rescale;
                Assert.Equal(BitConverter.SingleToInt32Bits(scale), BitConverter.SingleToInt32Bits(prepared.Scales(0)[b]));
                Assert.Equal(-8 * expected.Sum(q => (int)q), prepared.Corrections(0)[b]);
            }
        }
    }
}
