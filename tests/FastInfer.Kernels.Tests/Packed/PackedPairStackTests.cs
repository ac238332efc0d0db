using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Tests.MatMul;
using FastInfer.Kernels.Tests.Support;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Tests.Packed;

/// <summary>
/// <see cref="MatVec.Multiply(ReadOnlySpan{WeightMatrix}, ReadOnlySpan{float}, Span{float}, ComputePool, IsaPath)"/>: a
/// stack of matrices against one input must give each part's rows exactly as a call for that part alone, on every path
/// and thread count, whether the parts run as one stacked call of the pair kernels or part by part.
/// </summary>
public unsafe class PackedPairStackTests
{
    /// <summary>Part rows: whole pairs, lone and partial last groups in every position, and a stack over the pool's inline threshold.</summary>
    private static readonly int[][] Stacks = [[64, 16, 16], [17, 9, 3], [5, 40], [8], [700, 120, 120]];

    [SkippableTheory]
    [MemberData(nameof(PackedCases.DecodeTypeData), MemberType = typeof(PackedCases))]
    public void AStackHasTheBitsOfEachPartAlone(GgmlType type)
    {
        IsaPaths.SkipUnlessRuns(IsaPath.Avx512);
        const int columns = 512;
        var x = TestMatrix.RandomVector(columns, seed: 21);
        foreach (var rows in Stacks)
        {
            var sources = rows.Select((r, i) => new TestMatrix(type, r, columns, seed: 31 * i + r)).ToArray();
            var packed = sources.Select(m => PackedWeights.Pack(m.Matrix)).ToArray();
            try
            {
                var parts = packed.Select(p => p.Matrix).ToArray();
                var alone = PartByPart(parts, x, IsaPath.Avx512);
                ThreadCounts.AssertIdenticalForOneTwoAndThree(rows.Sum(), (pool, y) =>
                {
                    MatVec.Multiply(parts, x, y, pool, IsaPath.Avx512);
                    Assert.Equal(alone, y);
                });
            }
            finally
            {
                foreach (var p in packed)
                    p.Dispose();
                foreach (var m in sources)
                    m.Dispose();
            }
        }
    }

    [SkippableTheory]
    [InlineData(IsaPath.Scalar)]
    [InlineData(IsaPath.Avx2)]
    [InlineData(IsaPath.Avx512)]
    public void MixedTypesAndUnpackedPartsGoPartByPart(IsaPath path)
    {
        // The AVX-512 path runs on every AVX2 CPU: without the CPU's instructions, emulated (Avx512Ops).
        IsaPaths.SkipUnlessRuns(path);
        const int columns = 256;
        var x = TestMatrix.RandomVector(columns, seed: 22);
        using var q4 = new TestMatrix(GgmlType.Q4_0, 24, columns, seed: 1);
        using var q8 = new TestMatrix(GgmlType.Q8_0, 16, columns, seed: 2);
        using var k4 = new TestMatrix(GgmlType.Q4_K, 16, columns, seed: 3);
        using var packed4 = PackedWeights.Pack(q4.Matrix);
        using var packed8 = PackedWeights.Pack(q8.Matrix);
        foreach (var parts in new[] { new[] { packed4.Matrix, packed8.Matrix }, [packed4.Matrix, q4.Matrix], [q4.Matrix, k4.Matrix, q8.Matrix] })
        {
            var y = new float[parts.Sum(p => p.Rows)];
            MatVec.Multiply(parts, x, y, ComputePool.SingleThreaded, path);
            Assert.Equal(PartByPart(parts, x, path), y);
        }
    }

    [Fact]
    public void ShapesThatDoNotFitAreRefused()
    {
        using var a = new TestMatrix(GgmlType.Q8_0, 8, 64, seed: 4);
        using var b = new TestMatrix(GgmlType.Q8_0, 8, 96, seed: 5);
        var x = new float[64];
        Assert.Throws<ArgumentException>(() => MatVec.Multiply([], x, new float[8], ComputePool.SingleThreaded));
        Assert.Throws<ArgumentException>(() => MatVec.Multiply([a.Matrix, b.Matrix], x, new float[16], ComputePool.SingleThreaded));
        Assert.Throws<ArgumentException>(() => MatVec.Multiply([a.Matrix, a.Matrix], x, new float[15], ComputePool.SingleThreaded));
    }

    private static float[] PartByPart(WeightMatrix[] parts, float[] x, IsaPath path)
    {
        var y = new List<float>();
        foreach (var part in parts)
        {
            var partY = new float[part.Rows];
            MatVec.Multiply(part, x, partY, ComputePool.SingleThreaded, path);
            y.AddRange(partY);
        }
        return y.ToArray();
    }
}
