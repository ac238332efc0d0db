using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Tests.MatMul;
using FastInfer.Kernels.Tests.Support;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Tests.Packed;

/// <summary>
/// Packed decode on the 256- and 512-bit paths (the prefetching 8-row walk, or a pair kernel) must give every row the
/// bits of the plain group-by-group arithmetic and of prefill, for partial groups, chunk tails (blocks not a multiple of
/// four), groups at the end of the copy (whose prefetches point past it), slices and 1/2/3 threads.
/// </summary>
public class PackedDecodeBitsTests
{
    private static readonly (int Rows, int Columns)[] Shapes =
        [(1, 32), (5, 96), (8, 160), (9, 64), (17, 224), (33, 1024), (47, 4096), (64, 256)];

    public static TheoryData<GgmlType, IsaPath> TypesAndPackedPaths()
    {
        var data = new TheoryData<GgmlType, IsaPath>();
        foreach (var type in PackedCases.Types)
            foreach (var path in IsaPaths.PackedPaths)
                data.Add(type, path);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(TypesAndPackedPaths))]
    public void DecodeHasTheBitsOfGroupByGroupAndOfPrefill(GgmlType type, IsaPath path)
    {
        IsaPaths.SkipUnlessRuns(path);
        foreach (var (rows, columns) in Shapes)
        {
            using var m = new TestMatrix(type, rows, columns, seed: rows * 7 + columns);
            using var packed = PackedWeights.Pack(m.Matrix);
            var x = TestMatrix.RandomVector(2 * columns, seed: columns + 3);
            var decode = new float[rows];
            MatVec.Multiply(packed.Matrix, x.AsSpan(0, columns), decode, ComputePool.SingleThreaded, path);

            Assert.Equal(PackedCases.GroupByGroup(packed.Matrix, x.AsSpan(0, columns), RowDot.UsesVnni(path)), decode);
            var prefill = new float[2 * rows];
            Ops.MatMul.Multiply(packed.Matrix, x, prefill, 2, ComputePool.SingleThreaded, path);
            Assert.Equal(prefill.AsSpan(0, rows).ToArray(), decode);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(TypesAndPackedPaths))]
    public void SlicesAndThreadCountsKeepTheBits(GgmlType type, IsaPath path)
    {
        IsaPaths.SkipUnlessRuns(path);
        // 1003 rows: 126 groups, the last partial; above the pool's inline threshold, so the groups are split.
        const int rows = 1003, columns = 1024;
        using var m = new TestMatrix(type, rows, columns, seed: 21);
        using var packed = PackedWeights.Pack(m.Matrix);
        var x = TestMatrix.RandomVector(columns, seed: 22);
        ThreadCounts.AssertIdenticalForOneTwoAndThree(rows, (pool, y) => MatVec.Multiply(packed.Matrix, x, y, pool, path));
        var full = new float[rows];
        MatVec.Multiply(packed.Matrix, x, full, ComputePool.SingleThreaded, path);
        Assert.Equal(PackedCases.GroupByGroup(packed.Matrix, x, RowDot.UsesVnni(path)), full);
        foreach (var (first, count) in new[] { (8, 16), (3, 21), (13, 1), (990, 13) })
        {
            var part = new float[count];
            MatVec.Multiply(packed.Matrix.SliceRows(first, count), x, part, ComputePool.SingleThreaded, path);
            Assert.Equal(full.AsSpan(first, count).ToArray(), part);
        }
    }
}
