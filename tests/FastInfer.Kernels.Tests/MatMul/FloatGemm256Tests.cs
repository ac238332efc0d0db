using FastInfer.Kernels.Tests.Support;
using FastInfer.Kernels;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops.FloatGemm;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Tests.MatMul;

/// <summary>
/// The AVX2 float GEMM, named by path so that it runs on AVX-512 machines too, at sizes that cross each of its blocking
/// edges: 250 tokens (a 240-token chunk of ten 24-token tiles, then a 10-token chunk = 2 vectors; 250 − 240 is no
/// multiple of 8, so the last vector is partly padding), 141 rows (a 128-row block, then 13 rows: three 4-row panels and
/// a lone row) and 301 columns (two 128-column slices and a 45-column tail that is not a multiple of 8).
/// </summary>
public unsafe class FloatGemm256Tests
{
    private const int Tokens = 250, Rows = 141, Columns = 301;

    public static readonly TheoryData<GgmlType> FloatTypes = new(GgmlType.F32, GgmlType.F16, GgmlType.BF16);

    private static bool Runs => IsaPaths.Paths.Contains(IsaPath.Avx2);

    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void EveryOutputMatchesADoubleReference(GgmlType type)
    {
        if (!Runs)
            return;
        using var m = new TestMatrix(type, Rows, Columns, seed: 41);
        var x = TestMatrix.RandomVector(Tokens * Columns, seed: 42);
        var y = new float[Tokens * Rows];
        Ops.MatMul.Multiply(m.Matrix, x, y, Tokens, ComputePool.SingleThreaded, IsaPath.Avx2);
        FloatGemmTests.AssertMatchesDoubleReference(m, MatVecTypes.ActivationRoundTrip(type, x), y, Tokens, $"{type} Avx2");
    }

    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void EveryOutputMatchesTheScalarPath(GgmlType type)
    {
        if (!Runs)
            return;
        using var m = new TestMatrix(type, Rows, Columns, seed: 43);
        var x = TestMatrix.RandomVector(Tokens * Columns, seed: 44);
        var scalar = new float[Tokens * Rows];
        var avx2 = new float[Tokens * Rows];
        Ops.MatMul.Multiply(m.Matrix, x, scalar, Tokens, ComputePool.SingleThreaded, IsaPath.Scalar);
        Ops.MatMul.Multiply(m.Matrix, x, avx2, Tokens, ComputePool.SingleThreaded, IsaPath.Avx2);
        var rounded = MatVecTypes.ActivationRoundTrip(type, x);
        for (int t = 0; t < Tokens; t++)
            for (int r = 0; r < Rows; r++)
            {
                double magnitude = 0;
                for (int c = 0; c < Columns; c++)
                    magnitude += Math.Abs(m.Floats[r * Columns + c] * rounded[t * Columns + c]);
                int i = t * Rows + r;
                Assert.True(Math.Abs(scalar[i] - avx2[i]) <= 2e-6 * magnitude + 1e-6, $"{type} token {t} row {r}: {avx2[i]} vs scalar {scalar[i]}");
            }
    }

    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void ResultsAreIdenticalForOneTwoAndThreeThreads(GgmlType type)
    {
        if (!Runs)
            return;
        using var m = new TestMatrix(type, Rows, Columns, seed: 45);
        var x = TestMatrix.RandomVector(Tokens * Columns, seed: 46);
        ThreadCounts.AssertIdenticalForOneTwoAndThree(Tokens * Rows, (pool, y) => Ops.MatMul.Multiply(m.Matrix, x, y, Tokens, pool, IsaPath.Avx2));
    }

    /// <summary>80 tokens are ten vectors on AVX2, shared out as tiles of 3, 3, 2 and 2 (<see cref="TokenTiles"/>), and five
    /// on AVX-512, as 3 and 2: both shapes run tiles that do not start at multiples of their width.</summary>
    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void UnevenlySharedTilesMatchADoubleReference(GgmlType type)
    {
        if (!Runs)
            return;
        const int tokens = 80;
        using var m = new TestMatrix(type, Rows, Columns, seed: 51);
        var x = MatVecTypes.ActivationRoundTrip(type, TestMatrix.RandomVector(tokens * Columns, seed: 52));
        var avx2 = new float[tokens * Rows];
        Ops.MatMul.Multiply(m.Matrix, x, avx2, tokens, ComputePool.SingleThreaded, IsaPath.Avx2);
        FloatGemmTests.AssertMatchesDoubleReference(m, x, avx2, tokens, $"{type} Avx2");
        Assert.Equal(avx2, RunAvx512Shape(type, m, x, tokens));
    }

    [Fact]
    public void ATokenGetsTheSameResultInAnyChunkOrTile()
    {
        if (!Runs)
            return;
        // Dropping the first 8 tokens moves every token: 245, the sixth of the second chunk, becomes the first chunk's 238th,
        // in the third vector of its last tile.
        using var m = new TestMatrix(GgmlType.BF16, Rows, Columns, seed: 47);
        var x = TestMatrix.RandomVector(Tokens * Columns, seed: 48);
        var all = new float[Tokens * Rows];
        Ops.MatMul.Multiply(m.Matrix, x, all, Tokens, ComputePool.SingleThreaded, IsaPath.Avx2);
        int from = 8, count = Tokens - from;
        var part = new float[count * Rows];
        Ops.MatMul.Multiply(m.Matrix, x.AsSpan(from * Columns), part, count, ComputePool.SingleThreaded, IsaPath.Avx2);
        Assert.Equal(all.AsSpan(from * Rows).ToArray(), part);
    }

    /// <summary>
    /// Both shapes run one FMA chain per output in the same order, so they agree to the bit. The 512-bit shape is run
    /// through the skeleton directly, as Vector512's software form where the CPU lacks AVX-512, so the shared skeleton
    /// is checked with both shapes on any x64 machine.
    /// </summary>
    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void TheAvx512ShapeGivesTheSameBits(GgmlType type)
    {
        if (!Runs)
            return;
        const int tokens = 70; // tiles of three and two vectors on AVX-512 (48 + 22 tokens); 24 + 24 + 22 on AVX2
        using var m = new TestMatrix(type, Rows, Columns, seed: 49);
        var x = MatVecTypes.ActivationRoundTrip(type, TestMatrix.RandomVector(tokens * Columns, seed: 50));
        var avx2 = new float[tokens * Rows];
        Ops.MatMul.Multiply(m.Matrix, x, avx2, tokens, ComputePool.SingleThreaded, IsaPath.Avx2);
        Assert.Equal(avx2, RunAvx512Shape(type, m, x, tokens));
    }

    /// <summary>The 512-bit shape through the skeleton directly (as Vector512's software form where the CPU lacks AVX-512).</summary>
    private static float[] RunAvx512Shape(GgmlType type, TestMatrix m, float[] x, int tokens)
    {
        var y = new float[tokens * Rows];
        fixed (float* px = x)
        fixed (float* py = y)
        {
            switch (type)
            {
                case GgmlType.F32: FloatGemm.Run<FloatGemm512, BlockF32>(m.Matrix, px, py, tokens, ComputePool.SingleThreaded); break;
                case GgmlType.F16: FloatGemm.Run<FloatGemm512, BlockF16>(m.Matrix, px, py, tokens, ComputePool.SingleThreaded); break;
                default: FloatGemm.Run<FloatGemm512, BlockBF16>(m.Matrix, px, py, tokens, ComputePool.SingleThreaded); break;
            }
        }
        return y;
    }
}
