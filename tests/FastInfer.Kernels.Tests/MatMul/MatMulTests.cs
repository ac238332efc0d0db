using FastInfer.Kernels.Tests.Support;
using FastInfer.Kernels;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Tests.MatMul;

public class MatMulTests
{
    public static TheoryData<GgmlType, IsaPath> TypesAndPaths() => MatVecTests.TypesAndPaths();

    public static readonly TheoryData<GgmlType> Types = new(MatVecTypes.All);

    private static readonly int[] TokenCounts = [2, 3, 7, 9, 17];

    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void EveryTokenMatchesTheScalarMatVec(GgmlType type, IsaPath path)
    {
        var (rows, columns) = (37, MatVecTypes.Shapes(type).Last().Columns);
        using var m = new TestMatrix(type, rows, columns, seed: 11);
        foreach (int tokens in TokenCounts)
        {
            var x = TestMatrix.RandomVector(tokens * columns, seed: tokens);
            var y = new float[tokens * rows];
            Ops.MatMul.Multiply(m.Matrix, x, y, tokens, ComputePool.SingleThreaded, path);
            var expected = new float[rows];
            for (int t = 0; t < tokens; t++)
            {
                var xt = x.AsSpan(t * columns, columns);
                MatVec.Multiply(m.Matrix, xt, expected, ComputePool.SingleThreaded, IsaPath.Scalar);
                for (int r = 0; r < rows; r++)
                {
                    double magnitude = 0;
                    for (int c = 0; c < columns; c++)
                        magnitude += Math.Abs(m.Floats[r * columns + c] * xt[c]);
                    Assert.True(Math.Abs(expected[r] - y[t * rows + r]) <= 2e-6 * magnitude + 1e-6,
                        $"{type} {path} token {t}/{tokens} row {r}: {y[t * rows + r]} vs {expected[r]}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void ResultsAreIdenticalForAnyThreadCount(GgmlType type)
    {
        int rows = 70, tokens = 9, columns = MatVecTypes.Shapes(type).Last().Columns;
        using var m = new TestMatrix(type, rows, columns, seed: 12);
        var x = TestMatrix.RandomVector(tokens * columns, seed: 13);
        ThreadCounts.AssertIdenticalForOneTwoAndThree(tokens * rows, (pool, y) => Ops.MatMul.Multiply(m.Matrix, x, y, tokens, pool));
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void OneTokenIsExactlyMatVec(GgmlType type)
    {
        int rows = 21, columns = MatVecTypes.Shapes(type).Last().Columns;
        using var m = new TestMatrix(type, rows, columns, seed: 14);
        var x = TestMatrix.RandomVector(columns, seed: 15);
        var mm = new float[rows];
        var mv = new float[rows];
        Ops.MatMul.Multiply(m.Matrix, x, mm, 1, ComputePool.SingleThreaded);
        MatVec.Multiply(m.Matrix, x, mv, ComputePool.SingleThreaded);
        Assert.Equal(mv, mm);
    }

    [Fact]
    public void FloatTilesGiveTheSameResultWhereverATokenFalls()
    {
        // Each output is one sequential FMA chain over k, so a token's result does not depend on its tile or batch.
        int rows = 45, columns = 300;
        using var m = new TestMatrix(GgmlType.F32, rows, columns, seed: 16);
        var x = TestMatrix.RandomVector(11 * columns, seed: 17);
        var all = new float[11 * rows];
        Ops.MatMul.Multiply(m.Matrix, x, all, 11, ComputePool.SingleThreaded);
        var part = new float[3 * rows];
        Ops.MatMul.Multiply(m.Matrix, x.AsSpan(8 * columns, 3 * columns), part, 3, ComputePool.SingleThreaded);
        Assert.Equal(all.AsSpan(8 * rows).ToArray(), part);
    }

    [Fact]
    public void RejectsMismatchedShapes()
    {
        using var m = new TestMatrix(GgmlType.Q4_0, 4, 64, seed: 1);
        Assert.Throws<ArgumentException>(() => Ops.MatMul.Multiply(m.Matrix, new float[127], new float[8], 2, ComputePool.SingleThreaded));
        Assert.Throws<ArgumentException>(() => Ops.MatMul.Multiply(m.Matrix, new float[128], new float[7], 2, ComputePool.SingleThreaded));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.MatMul.Multiply(m.Matrix, new float[0], new float[0], 0, ComputePool.SingleThreaded));
    }
}
