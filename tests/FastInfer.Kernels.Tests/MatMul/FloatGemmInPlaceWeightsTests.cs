using FastInfer.Kernels.Tests.Support;
using FastInfer.Kernels;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Tests.MatMul;

/// <summary>
/// The AVX-512 GEMM reads F32 weights in place, with rows a power of two bytes apart (512 columns), across several
/// 192-row blocks (400 rows: 192 + 192 + 16 on one thread, other splits on two or three) whose next panels it prefetches
/// from the following block, and a token count (70) that leaves a one-vector tail tile.
/// </summary>
public class FloatGemmInPlaceWeightsTests
{
    private const int Tokens = 70, Rows = 400, Columns = 512;

    [Fact]
    public void EveryOutputMatchesADoubleReference()
    {
        using var m = new TestMatrix(GgmlType.F32, Rows, Columns, seed: 31);
        var x = TestMatrix.RandomVector(Tokens * Columns, seed: 32);
        foreach (var path in IsaPaths.Paths)
        {
            var y = new float[Tokens * Rows];
            Ops.MatMul.Multiply(m.Matrix, x, y, Tokens, ComputePool.SingleThreaded, path);
            FloatGemmTests.AssertMatchesDoubleReference(m, x, y, Tokens, path.ToString());
        }
    }

    [Fact]
    public void ResultsAreIdenticalForOneTwoAndThreeThreads()
    {
        using var m = new TestMatrix(GgmlType.F32, Rows, Columns, seed: 33);
        var x = TestMatrix.RandomVector(Tokens * Columns, seed: 34);
        ThreadCounts.AssertIdenticalForOneTwoAndThree(Tokens * Rows, (pool, y) => Ops.MatMul.Multiply(m.Matrix, x, y, Tokens, pool));
    }
}
