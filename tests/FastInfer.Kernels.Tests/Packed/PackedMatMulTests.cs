using FastInfer.Kernels.Tests.Support;
using FastInfer.Kernels;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Tests.MatMul;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Tests.Packed;

public class PackedMatMulTests
{
    public static TheoryData<GgmlType, IsaPath> TypesAndPaths() => PackedCases.TypesAndPaths();

    public static TheoryData<GgmlType> Types() => PackedCases.AllTypes();

    // Below, at and past the token tile (4) and a token chunk (64).
    private static readonly int[] TokenCounts = [2, 3, 4, 7, 9, 67];

    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void EveryTokenMatchesTheScalarReference(GgmlType type, IsaPath path)
    {
        const int rows = 21, columns = 192;
        using var m = new TestMatrix(type, rows, columns, seed: 11);
        using var packed = PackedWeights.Pack(m.Matrix);
        foreach (int tokens in TokenCounts)
        {
            var x = TestMatrix.RandomVector(tokens * columns, seed: tokens);
            var y = new float[tokens * rows];
            Ops.MatMul.Multiply(packed.Matrix, x, y, tokens, ComputePool.SingleThreaded, path);
            var expected = new float[rows];
            for (int t = 0; t < tokens; t++)
            {
                var xt = x.AsSpan(t * columns, columns);
                MatVec.Multiply(m.Matrix, xt, expected, ComputePool.SingleThreaded, IsaPath.Scalar);
                PackedCases.AssertRowsClose(m.Floats, xt, expected, y.AsSpan(t * rows, rows), $"{type} {path} token {t}/{tokens}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void EveryTokenHasTheBitsOfPackedDecode(GgmlType type, IsaPath path)
    {
        const int rows = 19, columns = 96;
        using var m = new TestMatrix(type, rows, columns, seed: 21);
        using var packed = PackedWeights.Pack(m.Matrix);
        // Few tokens split the rows; many split the tokens (each share preparing its own).
        foreach (int tokens in new[] { 7, 9, 70 })
        {
            var x = TestMatrix.RandomVector(tokens * columns, seed: 22);
            var y = new float[tokens * rows];
            Ops.MatMul.Multiply(packed.Matrix, x, y, tokens, ComputePool.SingleThreaded, path);
            var single = new float[rows];
            for (int t = 0; t < tokens; t++)
            {
                MatVec.Multiply(packed.Matrix, x.AsSpan(t * columns, columns), single, ComputePool.SingleThreaded, path);
                Assert.Equal(single, y.AsSpan(t * rows, rows).ToArray());
            }
        }
    }

    [Theory]
    [MemberData(nameof(KQuantsAndPaths))]
    public void PackedKQuantsPrefillFromTheGgmlRows(GgmlType type, IsaPath path)
    {
        const int rows = 21, columns = 512, tokens = 5;
        using var m = new TestMatrix(type, rows, columns, seed: 41);
        using var packed = PackedWeights.Pack(m.Matrix);
        var x = TestMatrix.RandomVector(tokens * columns, seed: 42);
        var fromRows = new float[tokens * rows];
        var fromPacked = new float[tokens * rows];
        Ops.MatMul.Multiply(m.Matrix, x, fromRows, tokens, ComputePool.SingleThreaded, path);
        Ops.MatMul.Multiply(packed.Matrix, x, fromPacked, tokens, ComputePool.SingleThreaded, path);
        Assert.Equal(fromRows, fromPacked);
    }

    public static TheoryData<GgmlType, IsaPath> KQuantsAndPaths()
    {
        var data = new TheoryData<GgmlType, IsaPath>();
        foreach (var type in new[] { GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K })
            foreach (var path in IsaPaths.Paths)
                data.Add(type, path);
        return data;
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void ResultsAreIdenticalForAnyThreadCount(GgmlType type)
    {
        const int rows = 70, columns = 256;
        using var m = new TestMatrix(type, rows, columns, seed: 12);
        using var packed = PackedWeights.Pack(m.Matrix);
        // 9 tokens split the rows on every pool; 40 split the tokens on one and two threads but the rows on three;
        // 131 split the tokens unevenly, past two chunks.
        foreach (int tokens in new[] { 9, 40, 131 })
        {
            var x = TestMatrix.RandomVector(tokens * columns, seed: 13);
            ThreadCounts.AssertIdenticalForOneTwoAndThree(tokens * rows, (pool, y) => Ops.MatMul.Multiply(packed.Matrix, x, y, tokens, pool));
        }
    }

    [Fact]
    public void AMatrixTooLargeForSmallItemsGivesTheBitsOfDecodeOnAnyThreadCount()
    {
        // 1024×1024 Q4_0 packs to 576 KiB, past the size that takes 16-token items: items are whole 64-token chunks.
        const int rows = 1024, columns = 1024, tokens = 70;
        using var m = new TestMatrix(GgmlType.Q4_0, rows, columns, seed: 51);
        using var packed = PackedWeights.Pack(m.Matrix);
        var x = TestMatrix.RandomVector(tokens * columns, seed: 52);
        ThreadCounts.AssertIdenticalForOneTwoAndThree(tokens * rows, (pool, y) => Ops.MatMul.Multiply(packed.Matrix, x, y, tokens, pool));
        var all = new float[tokens * rows];
        Ops.MatMul.Multiply(packed.Matrix, x, all, tokens, ComputePool.SingleThreaded);
        var single = new float[rows];
        foreach (int t in new[] { 0, 63, 64, 69 })
        {
            MatVec.Multiply(packed.Matrix, x.AsSpan(t * columns, columns), single, ComputePool.SingleThreaded);
            Assert.Equal(single, all.AsSpan(t * rows, rows).ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void UnalignedSlicesGiveTheSameBits(GgmlType type, IsaPath path)
    {
        const int rows = 29, columns = 64;
        using var m = new TestMatrix(type, rows, columns, seed: 31);
        using var packed = PackedWeights.Pack(m.Matrix);
        foreach (int tokens in new[] { 6, 37 })
        {
            var x = TestMatrix.RandomVector(tokens * columns, seed: 32);
            var full = new float[tokens * rows];
            Ops.MatMul.Multiply(packed.Matrix, x, full, tokens, ComputePool.SingleThreaded, path);
            const int first = 5, count = 13;
            var part = new float[tokens * count];
            Ops.MatMul.Multiply(packed.Matrix.SliceRows(first, count), x, part, tokens, ComputePool.SingleThreaded, path);
            for (int t = 0; t < tokens; t++)
                Assert.Equal(full.AsSpan(t * rows + first, count).ToArray(), part.AsSpan(t * count, count).ToArray());
        }
    }
}
