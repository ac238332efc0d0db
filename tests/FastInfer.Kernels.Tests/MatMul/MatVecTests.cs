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
                double bound = 1e-5 * magnitude + 1e-6 + MinimumTermRounding(m, type, r, columns, xq);
                Assert.True(Math.Abs(expected - y[r]) <= bound, $"{type} row {r}: {y[r]} vs {expected}");
            }
        }
    }

    /// <summary>
    /// Q4_1 and Q5_1 take each block's m·Σx through the activation block's d·Σq as ggml's Q8_1 stores it: d before its
    /// rounding to F16, the product rounded to F16. Against the dequantized activations (d rounded) that is up to two
    /// half-units in the F16's last place (2^-10 of it) per block.
    /// </summary>
    private static unsafe double MinimumTermRounding(TestMatrix m, GgmlType type, int row, int columns, float[] xq)
    {
        if (type is not (GgmlType.Q4_1 or GgmlType.Q5_1))
            return 0;
        int blockBytes = GgmlTypeTraits.BlockBytes(type);
        byte* rowBytes = (byte*)m.Data + (long)row * (columns / 32) * blockBytes;
        double bound = 0;
        for (int b = 0; b < columns / 32; b++)
        {
            double sum = 0;
            for (int c = 32 * b; c < 32 * b + 32; c++)
                sum += xq[c];
            bound += Math.Abs((double)(float)*(Half*)(rowBytes + b * blockBytes + 2) * sum) * (1.0 / 1024);
        }
        return bound;
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
