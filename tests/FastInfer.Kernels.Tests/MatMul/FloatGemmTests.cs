using FastInfer.Kernels.Tests.Support;
using FastInfer.Kernels;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Tests.MatMul;

/// <summary>
/// Float-weight prefill at sizes that cross every blocking edge of the AVX-512 GEMM: 300 tokens (two 256-token chunks,
/// a last tile of 44 tokens = 3 vectors), 200 rows (a 192-row block, then a partial 6-row panel) and 300 columns (two
/// 128-column slices and a 44-column tail that is not a multiple of 8).
/// </summary>
public class FloatGemmTests
{
    private const int Tokens = 300, Rows = 200, Columns = 300;

    public static TheoryData<GgmlType, IsaPath> FloatTypesAndPaths()
    {
        var data = new TheoryData<GgmlType, IsaPath>();
        foreach (var type in new[] { GgmlType.F32, GgmlType.F16, GgmlType.BF16 })
            foreach (var path in IsaPaths.Paths)
                data.Add(type, path);
        return data;
    }

    [Theory]
    [MemberData(nameof(FloatTypesAndPaths))]
    public void EveryOutputMatchesADoubleReference(GgmlType type, IsaPath path)
    {
        using var m = new TestMatrix(type, Rows, Columns, seed: 21);
        var input = TestMatrix.RandomVector(Tokens * Columns, seed: 22);
        var y = new float[Tokens * Rows];
        Ops.MatMul.Multiply(m.Matrix, input, y, Tokens, ComputePool.SingleThreaded, path);
        AssertMatchesDoubleReference(m, MatVecTypes.ActivationRoundTrip(type, input), y, Tokens, $"{type} {path}");
    }

    /// <summary>Every y[t, r] against the double-precision dot of weight row r and token t.</summary>
    internal static void AssertMatchesDoubleReference(TestMatrix m, float[] x, float[] y, int tokens, string what)
    {
        for (int t = 0; t < tokens; t++)
            for (int r = 0; r < m.Matrix.Rows; r++)
            {
                double sum = 0, magnitude = 0;
                for (int c = 0; c < m.Matrix.Columns; c++)
                {
                    double p = (double)m.Floats[r * m.Matrix.Columns + c] * x[t * m.Matrix.Columns + c];
                    sum += p;
                    magnitude += Math.Abs(p);
                }
                // F32 products are exact in double; the float sum over the columns is off by at most a few ulps of the magnitude.
                Assert.True(Math.Abs(sum - y[t * m.Matrix.Rows + r]) <= 1e-6 * magnitude + 1e-7,
                    $"{what} token {t} row {r}: {y[t * m.Matrix.Rows + r]} vs {sum}");
            }
    }

    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.BF16)]
    public void ResultsAreIdenticalForOneTwoAndThreeThreads(GgmlType type)
    {
        using var m = new TestMatrix(type, Rows, Columns, seed: 23);
        var x = TestMatrix.RandomVector(Tokens * Columns, seed: 24);
        ThreadCounts.AssertIdenticalForOneTwoAndThree(Tokens * Rows, (pool, y) => Ops.MatMul.Multiply(m.Matrix, x, y, Tokens, pool));
    }

    [Fact]
    public void ATokenGetsTheSameResultInAnyChunkOrTile()
    {
        // 300 tokens put token 290 in the second chunk's last tile; alone it is the first token of a one-vector tile.
        using var m = new TestMatrix(GgmlType.F32, Rows, Columns, seed: 25);
        var x = TestMatrix.RandomVector(Tokens * Columns, seed: 26);
        var all = new float[Tokens * Rows];
        Ops.MatMul.Multiply(m.Matrix, x, all, Tokens, ComputePool.SingleThreaded);
        var two = new float[2 * Rows];
        Ops.MatMul.Multiply(m.Matrix, x.AsSpan(290 * Columns, 2 * Columns), two, 2, ComputePool.SingleThreaded);
        Assert.Equal(all.AsSpan(290 * Rows, 2 * Rows).ToArray(), two);
    }
}
