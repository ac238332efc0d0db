using System.Runtime.Intrinsics;
using FastInfer.Kernels;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Quantization;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Tests.MatMul;

/// <summary>The in-lane widening of 16-bit floats and the matrix-vector rows built on it.</summary>
public unsafe class HalfFloatRowsTests
{
    /// <summary>Every one of the 65536 encodings, as pairs in 32-bit lanes (the even index in the low half).</summary>
    private static void ForEveryEncoding(Action<int[], int> check)
    {
        var lanes = new int[16];
        for (int start = 0; start < 65536; start += 32)
        {
            for (int k = 0; k < 16; k++)
                lanes[k] = (ushort)(start + 2 * k) | ((start + 2 * k + 1) << 16);
            check(lanes, start);
        }
    }

    [Fact]
    public void F16_pairs_widen_every_finite_half_exactly_up_to_the_pair_scale_and_flag_the_rest()
    {
        ForEveryEncoding((lanes, start) =>
        {
            fixed (int* p = lanes)
            {
                var even512 = BlockF16.Even(Vector512.Load(p));
                var odd512 = BlockF16.Odd(Vector512.Load(p));
                var even256 = BlockF16.Even(Vector256.Load(p));
                var odd256 = BlockF16.Odd(Vector256.Load(p));
                for (int k = 0; k < 16; k++)
                {
                    foreach (var (bits, value, narrow) in new[] { (start + 2 * k, even512[k], k < 8 ? even256[k] : float.NaN), (start + 2 * k + 1, odd512[k], k < 8 ? odd256[k] : float.NaN) })
                    {
                        float expected = Fp16.HalfToFloat((ushort)bits);
                        bool special = (bits & 0x7FFF) >= BlockF16.SpecialMagnitude;
                        Assert.Equal(!float.IsFinite(expected), special);
                        if (special)
                            continue;
                        // The pair forms return the half divided by PairScale (2^112), exactly: a half subnormal is a
                        // single subnormal there, which the double product recovers without rounding.
                        Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits((float)((double)value * BlockF16.PairScale)));
                        if (k < 8)
                            Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits((float)((double)narrow * BlockF16.PairScale)));
                    }
                }
            }
        });
    }

    [Fact]
    public void BF16_pairs_widen_every_encoding_bit_exactly()
    {
        ForEveryEncoding((lanes, start) =>
        {
            fixed (int* p = lanes)
            {
                var even = BlockBF16.Even(Vector512.Load(p));
                var odd = BlockBF16.Odd(Vector256.Load(p));
                for (int k = 0; k < 16; k++)
                {
                    Assert.Equal((start + 2 * k) << 16, BitConverter.SingleToInt32Bits(even[k]));
                    if (k < 8)
                        Assert.Equal((start + 2 * k + 1) << 16, BitConverter.SingleToInt32Bits(odd[k]));
                }
            }
        });
    }

    [Theory]
    [InlineData(32)]
    [InlineData(16)]
    public void Deinterleaving_lists_each_group_evens_then_odds_times_the_pair_scale_and_leaves_the_tail(int group)
    {
        const int n = 70;
        var x = Enumerable.Range(0, n).Select(i => (float)i).ToArray();
        var plain = new float[n];
        var scaled = new float[n];
        fixed (float* px = x)
        fixed (float* pp = plain)
        fixed (float* ps = scaled)
        {
            HalfFloatRows.Deinterleave<BlockBF16>(px, pp, n, group);
            HalfFloatRows.Deinterleave<BlockF16>(px, ps, n, group);
        }
        int half = group / 2, whole = n - n % group;
        var first = Enumerable.Range(0, half).Select(k => 2f * k).Concat(Enumerable.Range(0, half).Select(k => 2f * k + 1)).ToArray();
        for (int g = 0; g < whole; g += group)
            Assert.Equal(first.Select(v => v + g), plain[g..(g + group)]);
        Assert.All(plain[whole..], v => Assert.Equal(0, v));
        Assert.Equal(plain.Select(v => v * BlockF16.PairScale), scaled);
    }

    [Fact]
    public void Deinterleaving_refuses_a_group_no_pair_kernel_reads()
    {
        var x = new float[64];
        var d = new float[64];
        fixed (float* px = x)
        fixed (float* pd = d)
        {
            float* a = px, b = pd;
            Assert.Throws<ArgumentOutOfRangeException>(() => HalfFloatRows.Deinterleave<BlockF16>(a, b, 64, 8));
        }
    }

    public static TheoryData<GgmlType, IsaPath> HalfTypesAndPaths() => MatVecTypes.OnEveryPath([GgmlType.F16, GgmlType.BF16]);

    /// <summary>Infinities and NaNs anywhere in a row (vector body or tail) give the scalar result: ±∞ or NaN.</summary>
    [Theory]
    [MemberData(nameof(HalfTypesAndPaths))]
    public void Rows_with_infinities_or_nans_match_the_scalar_reference(GgmlType type, IsaPath path)
    {
        // 77: two AVX-512 groups (one unrolled step), four AVX2 groups, a 13-element tail; 109: three AVX-512 groups
        // (an unrolled step and a single one), six AVX2 groups, a 13-element tail.
        foreach (int columns in new[] { 77, 109 })
            AssertSpecialsMatchTheScalarReference(type, path, columns);
    }

    private static void AssertSpecialsMatchTheScalarReference(GgmlType type, IsaPath path, int columns)
    {
        const int rows = 7;
        var values = new float[rows * columns];
        var random = new Random(11);
        for (int i = 0; i < values.Length; i++)
            values[i] = random.NextSingle() * 2 - 1;
        values[0 * columns + 5] = float.PositiveInfinity;
        values[1 * columns + 40] = float.NegativeInfinity;
        values[2 * columns + 17] = float.NaN;
        values[3 * columns + 70] = float.PositiveInfinity; // in the tail (77) or the last single group (109)
        values[6 * columns + columns - 2] = float.NegativeInfinity; // in the tail
        values[4 * columns + 3] = 1e-6f; // an F16 subnormal: finite, exact
        values[5 * columns + 33] = -0f;
        var bytes = new byte[GgmlTypeTraits.RowBytes(type, columns) * rows];
        Quantizer.Quantize(type, values, bytes);
        var x = TestMatrix.RandomVector(columns, seed: 12);
        var expected = new float[rows];
        var actual = new float[rows];
        fixed (byte* p = bytes)
        {
            var w = new WeightMatrix((nint)p, bytes.Length, type, rows, columns);
            MatVec.Multiply(w, x, expected, ComputePool.SingleThreaded, IsaPath.Scalar);
            MatVec.Multiply(w, x, actual, ComputePool.SingleThreaded, path);
        }
        Assert.Equal(float.PositiveInfinity * Math.Sign(x[5]), expected[0]);
        Assert.True(float.IsNaN(expected[2]));
        for (int r = 0; r < rows; r++)
        {
            if (float.IsFinite(expected[r]))
                Assert.True(Math.Abs(expected[r] - actual[r]) <= 1e-5 * columns, $"{type} {path} {columns} columns row {r}: {actual[r]} vs {expected[r]}");
            else
                Assert.Equal(expected[r], actual[r]);
        }
    }
}
