using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Tests.Support;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Tests.MatMul;

/// <summary>Float rows claimed in chunks (ComputePool.ForBalanced) by whichever thread is free must give the bits a single thread gives.</summary>
public class FloatMatVecThreadTests
{
    [Theory]
    [InlineData(GgmlType.F32, 1000, 67)]
    [InlineData(GgmlType.F32, 333, 2048)]
    [InlineData(GgmlType.F32, 15, 40)]
    public void Every_row_is_computed_once_with_the_same_bits_on_any_thread_count(GgmlType type, int rows, int columns)
    {
        using var m = new TestMatrix(type, rows, columns, seed: rows);
        var x = TestMatrix.RandomVector(columns, seed: columns);
        ThreadCounts.AssertIdenticalForOneTwoAndThree(rows, (pool, y) =>
        {
            Array.Fill(y, float.NaN); // a row left out would stay NaN
            MatVec.Multiply(m.Matrix, x, y, pool);
            Assert.DoesNotContain(y, float.IsNaN);
        });
        var scalar = new float[rows];
        MatVec.Multiply(m.Matrix, x, scalar, ComputePool.SingleThreaded, Isa.IsaPath.Scalar);
        var active = new float[rows];
        using var three = new ComputePool(3);
        MatVec.Multiply(m.Matrix, x, active, three);
        for (int r = 0; r < rows; r++)
            Assert.True(Math.Abs(scalar[r] - active[r]) <= 1e-4f * (1 + Math.Abs(scalar[r])), $"row {r}: {active[r]} vs scalar {scalar[r]}");
    }
}
