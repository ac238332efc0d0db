using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Tests.MatMul;
using FastInfer.Kernels.Tests.Support;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Tests.Packed;

/// <summary>
/// A packed K-quant copy holds its rows whole: they read back byte for byte (<see cref="PackedRows"/>), and prefill
/// reads only the copy — token by token through the decode kernel, or the row-major kernels over rows read back — so
/// the file's rows may go.
/// </summary>
public unsafe class PackedRowsTests
{
    public static TheoryData<GgmlType> KQuants() => new(GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K);

    public static TheoryData<GgmlType, IsaPath> KQuantsAndPackedPaths()
    {
        var data = new TheoryData<GgmlType, IsaPath>();
        foreach (var type in new[] { GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K })
            foreach (var path in IsaPaths.PackedPaths)
                data.Add(type, path);
        return data;
    }

    [Theory]
    [MemberData(nameof(KQuants))]
    public void RowsReadBackAsTheFileHoldsThem(GgmlType type)
    {
        // 21 rows: two whole groups and a partial one; slices start inside a group.
        using var m = new TestMatrix(type, 21, 512, seed: 31);
        using var packed = PackedWeights.Pack(m.Matrix);
        foreach (var (first, count) in new[] { (0, 21), (3, 13), (8, 8), (20, 1) })
        {
            var rows = new byte[count * m.Matrix.RowBytes];
            fixed (byte* destination = rows)
                PackedRows.Read(packed.Matrix, first, count, destination);
            var expected = new ReadOnlySpan<byte>((byte*)m.Data + first * m.Matrix.RowBytes, rows.Length);
            Assert.True(expected.SequenceEqual(rows), $"{type} rows [{first}, {first + count})");

            // The same rows through a slice of the packed matrix, which starts at another lane.
            var slice = packed.Matrix.SliceRows(first, count);
            var fromSlice = new byte[rows.Length];
            fixed (byte* destination = fromSlice)
                PackedRows.Read(slice, 0, count, destination);
            Assert.Equal(rows, fromSlice);
        }
    }

    [Fact]
    public void ReadingPastTheRowsOrWithoutACopyIsRefused()
    {
        using var m = new TestMatrix(GgmlType.Q4_K, 9, 256, seed: 32);
        using var packed = PackedWeights.Pack(m.Matrix);
        var buffer = new byte[10 * m.Matrix.RowBytes];
        fixed (byte* destination = buffer)
        {
            byte* target = destination;
            Assert.Throws<ArgumentOutOfRangeException>(() => PackedRows.Read(packed.Matrix, 5, 5, target));
            Assert.Throws<ArgumentOutOfRangeException>(() => PackedRows.Read(m.Matrix, 0, 1, target));
        }
    }

    [SkippableTheory]
    [MemberData(nameof(KQuantsAndPackedPaths))]
    public void PrefillReadsOnlyTheCopy(GgmlType type, IsaPath path)
    {
        IsaPaths.SkipUnlessRuns(path);
        // 37 rows (a partial last group); 3 tokens (token by token through the decode kernel) and 530 (past the
        // 512-token chunks of the prefill kernels over rows read back).
        const int rows = 37, columns = 512;
        using var m = new TestMatrix(type, rows, columns, seed: 33);
        using var packed = PackedWeights.Pack(m.Matrix);
        foreach (int tokens in new[] { 3, 530 })
        {
            var x = TestMatrix.RandomVector(tokens * columns, seed: 34 + tokens);
            var fromRows = new float[tokens * rows];
            Ops.MatMul.Multiply(m.Matrix, x, fromRows, tokens, ComputePool.SingleThreaded, path);
            var before = new float[tokens * rows];
            Ops.MatMul.Multiply(packed.Matrix, x, before, tokens, ComputePool.SingleThreaded, path);
            var beforeSlice = new float[tokens * 21];
            Ops.MatMul.Multiply(packed.Matrix.SliceRows(5, 21), x, beforeSlice, tokens, ComputePool.SingleThreaded, path);

            // With the file's rows overwritten, prefill must give the same bits: it reads the copy only.
            var saved = new Span<byte>((void*)m.Data, checked((int)m.Bytes)).ToArray();
            new Span<byte>((void*)m.Data, saved.Length).Fill(0x5A);
            ThreadCounts.AssertIdenticalForOneTwoAndThree(tokens * rows, (pool, y) => Ops.MatMul.Multiply(packed.Matrix, x, y, tokens, pool, path));
            var after = new float[tokens * rows];
            Ops.MatMul.Multiply(packed.Matrix, x, after, tokens, ComputePool.SingleThreaded, path);
            Assert.Equal(before, after);
            var afterSlice = new float[tokens * 21];
            Ops.MatMul.Multiply(packed.Matrix.SliceRows(5, 21), x, afterSlice, tokens, ComputePool.SingleThreaded, path);
            Assert.Equal(beforeSlice, afterSlice);
            saved.CopyTo(new Span<byte>((void*)m.Data, saved.Length));

            // Each token through the decode kernel, or the row-major kernels over rows read back: the former has the
            // decode kernel's bits, the latter the file rows'.
            bool tokenByToken = tokens <= PackedKernels.TokenByTokenLimit;
            var expected = tokenByToken ? TokenByTokenDecode(packed.Matrix, x, tokens, path) : fromRows;
            Assert.Equal(expected, after);
            PackedCases.AssertRowsClose(m.Floats, x.AsSpan(0, columns), fromRows.AsSpan(0, rows), after.AsSpan(0, rows), $"{type} prefill {tokens} tokens");
        }
    }

    private static float[] TokenByTokenDecode(in WeightMatrix w, float[] x, int tokens, IsaPath path)
    {
        var y = new float[tokens * w.Rows];
        for (int t = 0; t < tokens; t++)
            MatVec.Multiply(w, x.AsSpan(t * w.Columns, w.Columns), y.AsSpan(t * w.Rows, w.Rows), ComputePool.SingleThreaded, path);
        return y;
    }

    [Theory]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q4_1)]
    [InlineData(GgmlType.Q5_0)]
    [InlineData(GgmlType.Q5_1)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q6_K)]
    [InlineData(GgmlType.F16)]
    public void ThePackedCopyReplacesTheRowsWhereEveryKernelReadsIt(GgmlType type)
    {
        Assert.False(PackedWeights.ReplacesRows(IsaPath.Scalar, type));
        Assert.False(PackedWeights.ReplacesRows(IsaPath.V128, type));
        Assert.Equal(type != GgmlType.F16, PackedWeights.ReplacesRows(IsaPath.Avx2, type));
        Assert.True(PackedWeights.ReplacesRows(IsaPath.Avx512, type));
        Assert.False(PackedWeights.ReplacesRows(IsaPath.Avx512, GgmlType.IQ4_NL));
        Assert.False(PackedWeights.ReplacesRows(IsaPath.Avx512, GgmlType.F32));
    }
}
