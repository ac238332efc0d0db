using System.Runtime.InteropServices;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Ops.QuantGemm;
using FastInfer.Kernels.Quantization;
using FastInfer.Kernels.Tests.MatMul;
using FastInfer.Kernels.Tests.Support;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Tests.QuantGemm;

/// <summary>
/// The K-quant prefill GEMM against the scalar block dots, on blocks of random raw bytes (every quant, scale and min
/// value, including Q6_K's −128 scale and Q3_K's −32, occurs), with row counts around its eight- and sixteen-row groups and token
/// counts around its tile of four and chunk of 128.
/// </summary>
public class KQuantGemmTests
{
    private static readonly GgmlType[] Types = [GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K];

    public static TheoryData<GgmlType, IsaPath> TypesAndPaths() => MatVecTypes.OnEveryPath(Types);

    public static TheoryData<GgmlType> EachType() => new(Types);

    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void EveryRowAndTokenMatchesTheScalarBlockDots(GgmlType type, IsaPath path)
    {
        foreach (var (rows, blocks) in new[] { (1, 1), (7, 3), (8, 1), (9, 2), (16, 1), (17, 3), (33, 2) })
        {
            using var m = RawMatrix.Create(type, rows, blocks * 256, seed: rows * 10 + blocks);
            foreach (int tokens in new[] { 1, 2, 4, 5, 131 })
            {
                var x = TestMatrix.RandomVector(tokens * m.Matrix.Columns, seed: tokens);
                var y = new float[tokens * rows];
                bool ran = KQuantGemm.TryMultiply(m.Matrix, x, y, tokens, ComputePool.SingleThreaded, path);
                Assert.Equal(KQuantGemm.Supports(type, path), ran);
                if (ran)
                    AssertMatchesScalar(m, x, y, tokens, $"{type} {path} {rows}x{blocks * 256} tokens {tokens}");
            }
        }
    }

    /// <summary>
    /// Every quant and scale byte at its maximum and every activation of one sign (so Q8_K quantizes them all to its
    /// extreme, −128 or 127): the AVX2 tile's int16 sums reach their bound, and one more product per run would overflow.
    /// </summary>
    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void ExtremeQuantsAndActivationsStayExact(GgmlType type, IsaPath path)
    {
        using var m = RawMatrix.Create(type, 16, 512, seed: 7, fill: 0xFF);
        const int tokens = 5;
        foreach (float value in new[] { 1f, -1f })
        {
            var x = Enumerable.Repeat(value, tokens * m.Matrix.Columns).ToArray();
            var y = new float[tokens * m.Matrix.Rows];
            if (KQuantGemm.TryMultiply(m.Matrix, x, y, tokens, ComputePool.SingleThreaded, path))
                AssertMatchesScalar(m, x, y, tokens, $"{type} {path} activations all {value}");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(EachType))]
    public void AnyRowSliceTokenSubsetOrThreadCountGivesTheSameBits(GgmlType type)
    {
        int rows = 45, columns = 512, tokens = 137;
        using var m = RawMatrix.Create(type, rows, columns, seed: 3);
        var x = TestMatrix.RandomVector(tokens * columns, seed: 4);
        var all = new float[tokens * rows];
        MatMulOrSkip(m.Matrix, x, all, tokens, ComputePool.SingleThreaded);

        // Rows 11..29: a different split into groups of eight.
        var slice = new float[tokens * 19];
        MatMulOrSkip(m.Matrix.SliceRows(11, 19), x, slice, tokens, ComputePool.SingleThreaded);
        for (int t = 0; t < tokens; t++)
            Assert.Equal(all.AsSpan(t * rows + 11, 19).ToArray(), slice.AsSpan(t * 19, 19).ToArray());

        // Tokens 6..12: other positions in the tiles of four.
        var part = new float[7 * rows];
        MatMulOrSkip(m.Matrix, x.AsSpan(6 * columns, 7 * columns).ToArray(), part, 7, ComputePool.SingleThreaded);
        Assert.Equal(all.AsSpan(6 * rows, 7 * rows).ToArray(), part);

        ThreadCounts.AssertIdenticalForOneTwoAndThree(tokens * rows, (pool, y) => MatMulOrSkip(m.Matrix, x, y, tokens, pool));
    }

    private static void MatMulOrSkip(in WeightMatrix w, float[] x, float[] y, int tokens, ComputePool pool)
    {
        Skip.IfNot(KQuantGemm.Supports(w.Type, KernelIsa.Active), $"the {KernelIsa.Active} path has no K-quant GEMM");
        Assert.True(KQuantGemm.TryMultiply(w, x, y, tokens, pool, KernelIsa.Active));
    }

    /// <summary>
    /// Each output against the scalar path's row-major kernel (exact integer sums per block, combined in floats), within
    /// float rounding of Σ|w·x| taken as one product of the absolute matrices.
    /// </summary>
    private static void AssertMatchesScalar(RawMatrix m, float[] x, float[] y, int tokens, string what)
    {
        int rows = m.Matrix.Rows, columns = m.Matrix.Columns;
        var expected = new float[tokens * rows];
        Ops.MatMul.Multiply(m.Matrix, x, expected, tokens, ComputePool.SingleThreaded, IsaPath.Scalar);
        var absoluteWeights = m.Floats.Select(Math.Abs).ToArray();
        for (int i = 0; i < y.Length; i++)
        {
            int t = i / rows, r = i % rows;
            double magnitude = 0;
            for (int c = 0; c < columns; c++)
                magnitude += absoluteWeights[r * columns + c] * Math.Abs(x[t * columns + c]);
            Assert.True(Math.Abs(expected[i] - y[i]) <= 1e-5 * magnitude + 1e-6, $"{what}: token {t} row {r}: {y[i]} vs {expected[i]}");
        }
    }
}

/// <summary>A K-quant matrix of random bytes (or of one <c>fill</c> byte) whose fp16 factors are overwritten with small
/// finite values of either sign.</summary>
internal sealed unsafe class RawMatrix : IDisposable
{
    private RawMatrix(GgmlType type, int rows, int columns, int seed, byte? fill)
    {
        long bytes = GgmlTypeTraits.RowBytes(type, columns) * rows;
        Data = (nint)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        var span = new Span<byte>((void*)Data, checked((int)bytes));
        var random = new Random(seed);
        if (fill is { } b)
            span.Fill(b);
        else
            random.NextBytes(span);
        int blockBytes = GgmlTypeTraits.BlockBytes(type);
        int[] factorOffsets = type switch
        {
            GgmlType.Q2_K => [80, 82],
            GgmlType.Q3_K => [108],
            GgmlType.Q6_K => [208],
            _ => [0, 2],
        };
        for (int block = 0; block < span.Length / blockBytes; block++)
            foreach (int offset in factorOffsets)
            {
                float factor = (float)(0.001 + random.NextDouble() * 0.01) * (random.Next(2) == 0 ? -1 : 1);
                MemoryMarshal.Write(span.Slice(block * blockBytes + offset), Fp16.FloatToHalf(factor));
            }
        Matrix = new WeightMatrix(Data, bytes, type, rows, columns);
        Floats = new float[rows * columns];
        for (int r = 0; r < rows; r++)
            Quantizer.Dequantize(type, Matrix.RowSpan(r), Floats.AsSpan(r * columns, columns));
    }

    public nint Data { get; }
    public WeightMatrix Matrix { get; }
    public float[] Floats { get; }

    public static RawMatrix Create(GgmlType type, int rows, int columns, int seed, byte? fill = null) => new(type, rows, columns, seed, fill);

    public void Dispose() => NativeMemory.AlignedFree((void*)Data);
}
