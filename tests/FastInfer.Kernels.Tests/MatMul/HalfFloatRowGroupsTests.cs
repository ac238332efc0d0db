using System.Runtime.Intrinsics;
using FastInfer.Kernels;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Quantization;
using FastInfer.Kernels.Tests.Support;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Tests.MatMul;

/// <summary>
/// 16-bit float rows run several per pass: each row must carry the bits it gets alone, whatever group, share or thread
/// count it falls in, with or without infinities and NaNs; and the F16 pair widening without its rebiasing multiply
/// (activations scaled by 2^112 instead) must add exactly what exactly widened weights add.
/// </summary>
public unsafe class HalfFloatRowGroupsTests
{
    private const int Rows = 19; // two groups of eight (or four of four) and a remainder, from any start row

    public static TheoryData<GgmlType, IsaPath, int> TypesPathsAndLengths()
    {
        var data = new TheoryData<GgmlType, IsaPath, int>();
        foreach (var type in new[] { GgmlType.F16, GgmlType.BF16 })
            foreach (var path in IsaPaths.Paths)
                foreach (int n in IsaPaths.OddLengths)
                    data.Add(type, path, n);
        return data;
    }

    public static TheoryData<GgmlType, IsaPath> TypesAndPaths() => MatVecTypes.OnEveryPath([GgmlType.F16, GgmlType.BF16]);

    [Theory]
    [MemberData(nameof(TypesPathsAndLengths))]
    public void Rows_in_groups_equal_each_row_alone(GgmlType type, IsaPath path, int n)
    {
        var weights = RandomData.Uniform(Rows * n, seed: n);
        AssertGroupsEqualLoneRows(type, path, n, weights);
    }

    /// <summary>A special anywhere sends its whole group to the lone rows; the other rows must not change bits.</summary>
    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void Groups_with_infinities_or_nans_equal_each_row_alone_and_the_scalar_reference(GgmlType type, IsaPath path)
    {
        foreach (int n in new[] { 77, 109, 4099 })
        {
            var weights = RandomData.Uniform(Rows * n, seed: n);
            weights[2 * n + 5] = float.PositiveInfinity;   // first group, vector body
            weights[9 * n + n - 2] = float.NaN;            // second group, tail
            weights[12 * n + 64] = float.NegativeInfinity; // second group, vector body
            weights[17 * n + 3] = float.PositiveInfinity;  // a lone row (or the last group of four)
            var grouped = AssertGroupsEqualLoneRows(type, path, n, weights);
            var x = HalfExactVector(n, seed: n + 1);
            var scalar = Multiply(type, weights, n, x, ComputePool.SingleThreaded, IsaPath.Scalar);
            foreach (int r in new[] { 2, 9, 12, 17 })
                Assert.False(float.IsFinite(grouped[r]), $"{type} {path} n={n} row {r}: {grouped[r]}");
            for (int r = 0; r < Rows; r++)
            {
                if (float.IsFinite(scalar[r]))
                    Assert.True(Math.Abs(scalar[r] - grouped[r]) <= 1e-5 * n, $"{type} {path} n={n} row {r}: {grouped[r]} vs {scalar[r]}");
                else
                    Assert.Equal(scalar[r], grouped[r]);
            }
        }
    }

    [Theory]
    [InlineData(GgmlType.F16, 1000, 67)]
    [InlineData(GgmlType.F16, 333, 2048)]
    [InlineData(GgmlType.BF16, 1000, 67)]
    [InlineData(GgmlType.BF16, 333, 2048)]
    [InlineData(GgmlType.BF16, 15, 40)]
    public void Every_row_has_the_same_bits_on_one_two_and_three_threads(GgmlType type, int rows, int columns)
    {
        using var m = new TestMatrix(type, rows, columns, seed: rows);
        var x = TestMatrix.RandomVector(columns, seed: columns);
        foreach (var path in IsaPaths.Paths)
        {
            ThreadCounts.AssertIdenticalForOneTwoAndThree(rows, (pool, y) =>
            {
                Array.Fill(y, float.NaN); // a row left out would stay NaN
                MatVec.Multiply(m.Matrix, x, y, pool, path);
                Assert.DoesNotContain(y, float.IsNaN);
            });
        }
    }

    /// <summary>
    /// Random finite halves over the whole range (subnormals to 65504) against random F16 activations: the pair kernel
    /// must give the bits of the same FMA sequence over exactly widened weights and unscaled activations.
    /// </summary>
    [Fact]
    public void F16_pair_rows_add_exactly_what_exactly_widened_weights_add()
    {
        const int rows = 11, n = 32 * 9 + 5;
        var random = new Random(5);
        var bits = new ushort[rows * n];
        for (int i = 0; i < bits.Length; i++)
            bits[i] = RandomFiniteHalf(random);
        var x = Enumerable.Range(0, n).Select(_ => Fp16.HalfToFloat(RandomFiniteHalf(random))).ToArray();
        foreach (var path in IsaPaths.Paths.Where(p => HalfFloatRows.Group(p) != 0))
        {
            var actual = new float[rows];
            var deinterleaved = new float[n];
            fixed (ushort* w = bits)
            fixed (float* px = x)
            fixed (float* pd = deinterleaved)
            fixed (float* py = actual)
            {
                HalfFloatRows.Deinterleave<BlockF16>(px, pd, n, HalfFloatRows.Group(path));
                HalfFloatRows.Rows<BlockF16>((byte*)w, 2 * n, 0, rows, px, pd, n, py, path);
            }
            for (int r = 0; r < rows; r++)
            {
                var row = bits.AsSpan(r * n, n).ToArray().Select(Fp16.HalfToFloat).ToArray();
                float expected = PairSum(row, x, HalfFloatRows.Group(path) / 2);
                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual[r]),
                    $"{path} row {r}: {actual[r]} vs {expected}");
            }
        }
    }

    private static ushort RandomFiniteHalf(Random random)
    {
        while (true)
        {
            var candidate = (ushort)random.Next(65536);
            if ((candidate & 0x7C00) != 0x7C00)
                return candidate;
        }
    }

    /// <summary>
    /// The pair kernel's order at <paramref name="lanes"/> floats per vector: per 2·lanes elements, lane k of the even sum
    /// takes element 2k and lane k of the odd sum element 2k+1 (one FMA each); then the horizontal sum of even + odd at
    /// that width, and the elements past the last whole group one by one.
    /// </summary>
    private static float PairSum(float[] w, float[] x, int lanes)
    {
        var total = new float[lanes];
        int g = w.Length - w.Length % (2 * lanes);
        for (int k = 0; k < lanes; k++)
        {
            float even = 0, odd = 0;
            for (int i = 0; i < g; i += 2 * lanes)
            {
                even = MathF.FusedMultiplyAdd(w[i + 2 * k], x[i + 2 * k], even);
                odd = MathF.FusedMultiplyAdd(w[i + 2 * k + 1], x[i + 2 * k + 1], odd);
            }
            total[k] = even + odd;
        }
        float sum = lanes == 16 ? Vector512.Sum(Vector512.Create(total)) : Vector256.Sum(Vector256.Create(total));
        for (int i = g; i < w.Length; i++)
            sum += w[i] * x[i];
        return sum;
    }

    /// <summary>Values F16 represents, so MatVec's rounding of x leaves them as they are and the kernels can be called directly.</summary>
    private static float[] HalfExactVector(int n, int seed) => RandomData.Uniform(n, seed).Select(v => (float)(Half)v).ToArray();

    /// <summary>Checks rows run from several start rows (so they fall in different groups) against each row run alone,
    /// all through MatVec on single-row matrices and, on the pair paths, HalfFloatRows directly; returns the rows.</summary>
    private static float[] AssertGroupsEqualLoneRows(GgmlType type, IsaPath path, int n, float[] weights)
    {
        var x = HalfExactVector(n, seed: n + 1);
        long rowBytes = GgmlTypeTraits.RowBytes(type, n);
        var encoded = new byte[rowBytes * Rows];
        Quantizer.Quantize(type, weights, encoded);
        var whole = new float[Rows];
        var alone = new float[Rows];
        fixed (byte* w = encoded)
        {
            MatVec.Multiply(new WeightMatrix((nint)w, encoded.Length, type, Rows, n), x, whole, ComputePool.SingleThreaded, path);
            for (int r = 0; r < Rows; r++)
                MatVec.Multiply(new WeightMatrix((nint)(w + r * rowBytes), rowBytes, type, 1, n), x, alone.AsSpan(r, 1), ComputePool.SingleThreaded, path);
            AssertSameBits(alone, whole, 0, $"{type} {path} n={n} whole matrix");
            int group = HalfFloatRows.Group(path);
            if (group != 0)
            {
                var deinterleaved = new float[n];
                fixed (float* px = x)
                fixed (float* pd = deinterleaved)
                {
                    if (type == GgmlType.F16)
                        HalfFloatRows.Deinterleave<BlockF16>(px, pd, n, group);
                    else
                        HalfFloatRows.Deinterleave<BlockBF16>(px, pd, n, group);
                    foreach (int start in new[] { 1, 3 })
                    {
                        var grouped = new float[Rows];
                        fixed (float* py = grouped)
                        {
                            if (type == GgmlType.F16)
                                HalfFloatRows.Rows<BlockF16>(w, rowBytes, start, Rows, px, pd, n, py, path);
                            else
                                HalfFloatRows.Rows<BlockBF16>(w, rowBytes, start, Rows, px, pd, n, py, path);
                        }
                        AssertSameBits(alone, grouped, start, $"{type} {path} n={n} start={start}");
                    }
                }
            }
        }
        return whole;
    }

    private static float[] Multiply(GgmlType type, float[] weights, int n, float[] x, ComputePool pool, IsaPath path)
    {
        var encoded = new byte[GgmlTypeTraits.RowBytes(type, n) * Rows];
        Quantizer.Quantize(type, weights, encoded);
        var y = new float[Rows];
        fixed (byte* w = encoded)
            MatVec.Multiply(new WeightMatrix((nint)w, encoded.Length, type, Rows, n), x, y, pool, path);
        return y;
    }

    private static void AssertSameBits(float[] expected, float[] actual, int start, string what)
    {
        for (int r = start; r < expected.Length; r++)
        {
            bool same = BitConverter.SingleToInt32Bits(expected[r]) == BitConverter.SingleToInt32Bits(actual[r]) || (float.IsNaN(expected[r]) && float.IsNaN(actual[r]));
            Assert.True(same, $"{what} row {r}: {actual[r]} vs alone {expected[r]}");
        }
    }
}
