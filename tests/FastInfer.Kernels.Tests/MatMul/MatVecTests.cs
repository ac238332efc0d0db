using FastInfer.Kernels.Tests.Support;
using FastInfer.Kernels;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Tests.MatMul;

public class MatVecTests
{
    public static readonly TheoryData<GgmlType> Types = new(MatVecTypes.All);

    public static TheoryData<GgmlType, IsaPath> TypesAndPaths() => MatVecTypes.OnEveryPath(MatVecTypes.All);

    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void EveryPathMatchesTheScalarReference(GgmlType type, IsaPath path)
    {
        foreach (var (rows, columns) in MatVecTypes.Shapes(type))
        {
            using var m = new TestMatrix(type, rows, columns, seed: rows * 31 + columns);
            var x = TestMatrix.RandomVector(columns, seed: columns);
            var expected = new float[rows];
            var actual = new float[rows];
            MatVec.Multiply(m.Matrix, x, expected, ComputePool.SingleThreaded, IsaPath.Scalar);
            MatVec.Multiply(m.Matrix, x, actual, ComputePool.SingleThreaded, path);
            for (int r = 0; r < rows; r++)
            {
                // Integer sums are exact on every path; only the float combination of per-block terms is reordered.
                double magnitude = 0;
                for (int c = 0; c < columns; c++)
                    magnitude += Math.Abs(m.Floats[r * columns + c] * x[c]);
                Assert.True(Math.Abs(expected[r] - actual[r]) <= 2e-6 * magnitude + 1e-6,
                    $"{type} {path} {rows}x{columns} row {r}: {actual[r]} vs scalar {expected[r]}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void ScalarReferenceMatchesDequantizedWeightsTimesQuantizedInput(GgmlType type)
    {
        foreach (var (rows, columns) in MatVecTypes.Shapes(type))
        {
            using var m = new TestMatrix(type, rows, columns, seed: 7);
            var x = TestMatrix.RandomVector(columns, seed: 8);
            var xq = MatVecTypes.ActivationRoundTrip(type, x);
            var y = new float[rows];
            MatVec.Multiply(m.Matrix, x, y, ComputePool.SingleThreaded, IsaPath.Scalar);
            for (int r = 0; r < rows; r++)
            {
                double expected = 0, magnitude = 0;
                for (int c = 0; c < columns; c++)
                {
                    expected += (double)m.Floats[r * columns + c] * xq[c];
                    magnitude += Math.Abs((double)m.Floats[r * columns + c] * xq[c]);
                }
                Assert.True(Math.Abs(expected - y[r]) <= 1e-5 * magnitude + 1e-6, $"{type} row {r}: {y[r]} vs {expected}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void ResultsAreIdenticalForAnyThreadCount(GgmlType type)
    {
        int columns = MatVecTypes.Shapes(type).Last().Columns;
        using var m = new TestMatrix(type, 77, columns, seed: 3);
        var x = TestMatrix.RandomVector(columns, seed: 4);
        ThreadCounts.AssertIdenticalForOneTwoAndThree(77, (pool, y) => MatVec.Multiply(m.Matrix, x, y, pool));
    }

    [Fact]
    public void RejectsMismatchedShapes()
    {
        using var m = new TestMatrix(GgmlType.Q8_0, 4, 64, seed: 1);
        Assert.Throws<ArgumentException>(() => MatVec.Multiply(m.Matrix, new float[63], new float[4], ComputePool.SingleThreaded));
        Assert.Throws<ArgumentException>(() => MatVec.Multiply(m.Matrix, new float[64], new float[5], ComputePool.SingleThreaded));
    }
}
