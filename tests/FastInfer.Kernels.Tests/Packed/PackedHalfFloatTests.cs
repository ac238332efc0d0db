using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Quantization;
using FastInfer.Kernels.Tests.MatMul;
using FastInfer.Kernels.Tests.Support;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Tests.Packed;

/// <summary>
/// The F16/BF16 packed copy (<see cref="PackedHalfFloat"/>): it holds the file's values, and decode and prefill over it give
/// every row the bits the kernels give over the file's rows, on every path (the narrower ones read those rows), for partial
/// groups, slices, 1/2/3 threads and rows holding infinities or NaNs.
/// </summary>
public unsafe class PackedHalfFloatTests
{
    private static readonly (int Rows, int Columns)[] Shapes =
        [(1, 32), (5, 96), (8, 64), (9, 64), (17, 224), (33, 1024), (47, 4096), (203, 160)];

    public static TheoryData<GgmlType, IsaPath> TypesAndPaths() => PackedCases.OnEveryPath([GgmlType.F16, GgmlType.BF16]);

    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void DecodeAndPrefillHaveTheBitsOfTheFileRows(GgmlType type, IsaPath path)
    {
        foreach (var (rows, columns) in Shapes)
        {
            using var m = new TestMatrix(type, rows, columns, seed: rows * 5 + columns);
            using var packed = PackedWeights.Pack(m.Matrix);
            foreach (int tokens in new[] { 1, 3, 70 })
            {
                var x = TestMatrix.RandomVector(tokens * columns, seed: columns + tokens);
                var expected = new float[tokens * rows];
                var actual = new float[tokens * rows];
                Ops.MatMul.Multiply(m.Matrix, x, expected, tokens, ComputePool.SingleThreaded, path);
                Ops.MatMul.Multiply(packed.Matrix, x, actual, tokens, ComputePool.SingleThreaded, path);
                Assert.True(expected.AsSpan().SequenceEqual(actual), $"{type} {rows}x{columns}, {tokens} tokens on {path}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void SlicesAndThreadCountsKeepTheBits(GgmlType type, IsaPath path)
    {
        // 1003 rows: 126 groups, the last partial; large enough for the pool to split the groups.
        const int rows = 1003, columns = 1024;
        using var m = new TestMatrix(type, rows, columns, seed: 31);
        using var packed = PackedWeights.Pack(m.Matrix);
        var x = TestMatrix.RandomVector(columns, seed: 32);
        ThreadCounts.AssertIdenticalForOneTwoAndThree(rows, (pool, y) => MatVec.Multiply(packed.Matrix, x, y, pool, path));
        var full = new float[rows];
        MatVec.Multiply(m.Matrix, x, full, ComputePool.SingleThreaded, path);
        foreach (var (first, count) in new[] { (0, rows), (8, 16), (3, 21), (13, 1), (990, 13) })
        {
            var part = new float[count];
            MatVec.Multiply(packed.Matrix.SliceRows(first, count), x, part, ComputePool.SingleThreaded, path);
            Assert.Equal(full.AsSpan(first, count).ToArray(), part);
        }
    }

    /// <summary>Infinities and NaNs, which the in-register widening does not reproduce, in some rows of some groups: those
    /// rows are recomputed exactly, and their group's other rows keep their bits.</summary>
    [Theory]
    [InlineData(IsaPath.Avx512)]
    [InlineData(IsaPath.Avx2)]
    public void SpecialValuesGiveTheFileRowsResults(IsaPath path)
    {
        if (!IsaPaths.Paths.Contains(path))
            return;
        const int rows = 21, columns = 96;
        using var m = new TestMatrix(GgmlType.F16, rows, columns, seed: 41);
        var halves = (ushort*)m.Data;
        halves[2 * columns + 5] = 0x7C00; // +Inf in row 2
        halves[9 * columns + 40] = 0xFC00; // -Inf in row 9
        halves[17 * columns + 95] = 0x7E00; // NaN in row 17 (the last column)
        using var packed = PackedWeights.Pack(m.Matrix);
        var x = TestMatrix.RandomVector(columns, seed: 42);
        var expected = new float[rows];
        var actual = new float[rows];
        MatVec.Multiply(m.Matrix, x, expected, ComputePool.SingleThreaded, path);
        MatVec.Multiply(packed.Matrix, x, actual, ComputePool.SingleThreaded, path);
        Assert.True(float.IsInfinity(expected[2]) || float.IsNaN(expected[2]));
        Assert.True(float.IsNaN(expected[17]));
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.BF16)]
    public void TheCopyHoldsEachRowsPiecesAndZeroPadding(GgmlType type)
    {
        const int rows = 13, columns = 96;
        using var m = new TestMatrix(type, rows, columns, seed: 51);
        using var packed = PackedWeights.Pack(m.Matrix);
        // Two groups, each as two halves of four rows × 96 columns × 2 bytes.
        Assert.Equal(2 * 2 * 4 * columns * 2, packed.ByteLength);
        var view = packed.Matrix.Packed;
        for (int row = 0; row < 16; row++)
            for (int column = 0; column < columns; column += PackedHalfFloat.StepColumns)
            {
                var piece = new ReadOnlySpan<byte>(PackedHalfFloat.Piece(view, row, column), PackedHalfFloat.PieceBytes);
                if (row < rows)
                    Assert.True(piece.SequenceEqual(m.Matrix.RowSpan(row).Slice(column * 2, PackedHalfFloat.PieceBytes)), $"row {row}, column {column}");
                else
                    Assert.True(piece.IndexOfAnyExcept((byte)0) < 0, $"padding row {row}, column {column}");
            }
        // A slice's pieces are its rows'.
        var slice = packed.Matrix.SliceRows(5, 6).Packed;
        Assert.True(new ReadOnlySpan<byte>(PackedHalfFloat.Piece(slice, 2, 64), 64).SequenceEqual(m.Matrix.RowSpan(7).Slice(128, 64)));
    }

    [Fact]
    public void PackingOnAPoolWritesTheSameBytes()
    {
        using var m = new TestMatrix(GgmlType.F16, 203, 320, seed: 61);
        using var alone = PackedWeights.Pack(m.Matrix);
        foreach (int threads in new[] { 2, 3 })
        {
            using var pool = new ComputePool(threads);
            using var shared = PackedWeights.Pack(m.Matrix, pool);
            var expected = new ReadOnlySpan<byte>((void*)alone.Matrix.Packed.FirstGroup, (int)alone.ByteLength);
            var actual = new ReadOnlySpan<byte>((void*)shared.Matrix.Packed.FirstGroup, (int)shared.ByteLength);
            Assert.True(expected.SequenceEqual(actual), $"packed on {threads} threads differs");
        }
    }

    [Theory]
    [InlineData(GgmlType.F16, 48)]
    [InlineData(GgmlType.BF16, 100)]
    public void ColumnsNotFillingWholeStepsAreRefused(GgmlType type, int columns)
    {
        using var m = new TestMatrix(type, 9, columns, seed: 71);
        Assert.True(PackedWeights.CanPack(type));
        Assert.False(PackedWeights.TryPack(m.Matrix, out var packed));
        Assert.Null(packed);
        var error = Assert.Throws<ArgumentException>(() => PackedWeights.Pack(m.Matrix));
        Assert.Contains("multiple of 32", error.Message);
        Assert.Contains(columns.ToString(), error.Message);
    }

    [Fact]
    public void OnlyThe512BitPathReadsHalfFloatCopies()
    {
        foreach (var type in new[] { GgmlType.F16, GgmlType.BF16 })
        {
            Assert.True(PackedWeights.IsReadOn(IsaPath.Avx512, type));
            Assert.False(PackedWeights.IsReadOn(IsaPath.Avx2, type));
            Assert.False(PackedWeights.IsReadOn(IsaPath.V128, type));
        }
        Assert.True(PackedWeights.IsReadOn(IsaPath.Avx2, GgmlType.Q4_0));
        Assert.False(PackedWeights.IsReadOn(IsaPath.Scalar, GgmlType.Q4_0));
        Assert.False(PackedWeights.IsReadOn(IsaPath.Avx512, GgmlType.F32));
    }
}
