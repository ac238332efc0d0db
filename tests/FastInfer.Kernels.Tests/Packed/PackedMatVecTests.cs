using FastInfer.Kernels.Tests.Support;
using FastInfer.Kernels;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Tests.MatMul;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Tests.Packed;

public class PackedMatVecTests
{
    public static TheoryData<GgmlType, IsaPath> TypesAndPaths() => PackedCases.DecodeTypesAndPaths();

    public static TheoryData<GgmlType> Types() => PackedCases.AllDecodeTypes();

    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void PackedMatchesTheScalarReference(GgmlType type, IsaPath path)
    {
        foreach (var (rows, columns) in PackedCases.Shapes(type))
        {
            using var m = new TestMatrix(type, rows, columns, seed: rows * 7 + columns);
            using var packed = PackedWeights.Pack(m.Matrix);
            var x = TestMatrix.RandomVector(columns, seed: columns);
            var expected = new float[rows];
            var actual = new float[rows];
            MatVec.Multiply(m.Matrix, x, expected, ComputePool.SingleThreaded, IsaPath.Scalar);
            MatVec.Multiply(packed.Matrix, x, actual, ComputePool.SingleThreaded, path);
            PackedCases.AssertRowsClose(m.Floats, x, expected, actual, $"{type} {path} {rows}x{columns}");
        }
    }

    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void PathsBelowAvx2ReadTheOriginalRows(GgmlType type, IsaPath path)
    {
        if (path >= IsaPath.Avx2)
            return;
        using var m = new TestMatrix(type, 19, 512, seed: 5);
        using var packed = PackedWeights.Pack(m.Matrix);
        var x = TestMatrix.RandomVector(512, seed: 6);
        var rowMajor = new float[19];
        var viaPacked = new float[19];
        MatVec.Multiply(m.Matrix, x, rowMajor, ComputePool.SingleThreaded, path);
        MatVec.Multiply(packed.Matrix, x, viaPacked, ComputePool.SingleThreaded, path);
        Assert.Equal(rowMajor, viaPacked);
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void ResultsAreIdenticalForAnyThreadCount(GgmlType type)
    {
        // 1000 rows × 1024 columns is above the pool's inline threshold, so the groups really are split.
        using var m = new TestMatrix(type, 1000, 1024, seed: 3);
        using var packed = PackedWeights.Pack(m.Matrix);
        var x = TestMatrix.RandomVector(1024, seed: 4);
        ThreadCounts.AssertIdenticalForOneTwoAndThree(1000, (pool, y) => MatVec.Multiply(packed.Matrix, x, y, pool));
    }

    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void AnyRowSliceStaysPackedAndGivesTheSameBits(GgmlType type, IsaPath path)
    {
        const int rows = 37, columns = 256;
        using var m = new TestMatrix(type, rows, columns, seed: 9);
        using var packed = PackedWeights.Pack(m.Matrix);
        var x = TestMatrix.RandomVector(columns, seed: 10);
        var full = new float[rows];
        MatVec.Multiply(packed.Matrix, x, full, ComputePool.SingleThreaded, path);
        foreach (var (first, count) in new[] { (0, 8), (8, 16), (3, 20), (13, 1), (30, 7), (5, 3), (0, rows) })
        {
            var slice = packed.Matrix.SliceRows(first, count);
            Assert.True(slice.IsPacked);
            var part = new float[count];
            MatVec.Multiply(slice, x, part, ComputePool.SingleThreaded, path);
            Assert.Equal(full.AsSpan(first, count).ToArray(), part);
            // A slice of a slice lands on the same rows.
            if (count > 2)
            {
                var inner = new float[count - 2];
                MatVec.Multiply(slice.SliceRows(1, count - 2), x, inner, ComputePool.SingleThreaded, path);
                Assert.Equal(full.AsSpan(first + 1, count - 2).ToArray(), inner);
            }
        }
    }
}
