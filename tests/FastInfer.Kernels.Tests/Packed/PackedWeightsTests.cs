using System.Runtime.InteropServices;
using FastInfer.Kernels;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Quantization;
using FastInfer.Kernels.Tests.MatMul;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Tests.Packed;

public unsafe class PackedWeightsTests
{
    public static TheoryData<GgmlType, IsaPath> TypesAndPaths() => PackedCases.DecodeTypesAndPaths();

    [Theory]
    [InlineData(GgmlType.F32)]
    public void TypesWithoutAPackedLayoutAreRefused(GgmlType type)
    {
        using var m = new TestMatrix(type, 3, 256, seed: 1);
        Assert.False(PackedWeights.CanPack(type));
        Assert.False(PackedWeights.TryPack(m.Matrix, out var packed));
        Assert.Null(packed);
        var error = Assert.Throws<NotSupportedException>(() => PackedWeights.Pack(m.Matrix));
        Assert.Contains(type.ToString(), error.Message);
        Assert.False(m.Matrix.IsPacked);
    }

    [Theory]
    [InlineData(GgmlType.Q4_0, (ushort)0x7C00, 0)]
    [InlineData(GgmlType.Q4_1, (ushort)0x7C00, 0)]
    [InlineData(GgmlType.Q4_1, (ushort)0xFE00, 2)] // m
    [InlineData(GgmlType.Q5_0, (ushort)0xFE00, 0)]
    [InlineData(GgmlType.Q5_1, (ushort)0x7C00, 0)]
    [InlineData(GgmlType.Q5_1, (ushort)0xFC00, 2)] // m
    [InlineData(GgmlType.Q8_0, (ushort)0xFC00, 0)]
    [InlineData(GgmlType.Q8_0, (ushort)0x7E00, 0)]
    [InlineData(GgmlType.Q2_K, (ushort)0x7C00, 80)]
    [InlineData(GgmlType.Q2_K, (ushort)0xFE00, 82)] // dmin
    [InlineData(GgmlType.Q3_K, (ushort)0x7E00, 108)]
    [InlineData(GgmlType.Q4_K, (ushort)0x7C00, 0)]
    [InlineData(GgmlType.Q4_K, (ushort)0x7E00, 2)] // dmin
    [InlineData(GgmlType.Q5_K, (ushort)0x7C00, 0)]
    [InlineData(GgmlType.Q5_K, (ushort)0xFC00, 2)] // dmin
    [InlineData(GgmlType.Q6_K, (ushort)0xFC00, 208)]
    public void NonFiniteScalesAreRefused(GgmlType type, ushort scale, int offset)
    {
        using var m = new TestMatrix(type, 9, 2 * GgmlTypeTraits.BlockSize(type), seed: 2);
        // The second block of the last row.
        long blockBytes = m.Matrix.RowBytes / 2;
        *(ushort*)(m.Data + (nint)(8 * m.Matrix.RowBytes + blockBytes + offset)) = scale;
        Assert.False(PackedWeights.TryPack(m.Matrix, out _));
        var error = Assert.Throws<ArgumentException>(() => PackedWeights.Pack(m.Matrix));
        Assert.Contains("Inf or NaN", error.Message);
    }

    [Fact]
    public void PackedMatrixKeepsTheOriginalView()
    {
        using var m = new TestMatrix(GgmlType.Q4_0, 13, 96, seed: 3);
        using var packed = PackedWeights.Pack(m.Matrix);
        Assert.True(packed.Matrix.IsPacked);
        Assert.Equal(m.Matrix.Data, packed.Matrix.Data);
        Assert.Equal((m.Matrix.Rows, m.Matrix.Columns, m.Matrix.Type), (packed.Matrix.Rows, packed.Matrix.Columns, packed.Matrix.Type));
        // Two groups of eight rows, each one chunk: 64 bytes of scales, then 3 blocks × 128 quant bytes.
        Assert.Equal(2 * (64 + 3 * 128), packed.ByteLength);
    }

    /// <summary>
    /// Extreme quants against activations that quantize to ±127: Q8_0's q+128 reaches 255 (the plain AVX2 step
    /// must not let vpmaddubsw saturate), every 4-bit nibble is 0 or 15, 6-bit quants 0 or 63, and the K-quants' scales at their
    /// extremes (the largest integer sums their kernels form; see <see cref="FillExtremeBlock"/>).
    /// </summary>
    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void ExtremeQuantsStayExact(GgmlType type, IsaPath path)
    {
        const int rows = 11;
        int columns = 4 * GgmlTypeTraits.BlockSize(type);
        long rowBytes = GgmlTypeTraits.RowBytes(type, columns);
        long bytes = rowBytes * rows;
        byte* data = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        try
        {
            var random = new Random(4);
            int blockBytes = (int)GgmlTypeTraits.RowBytes(type, GgmlTypeTraits.BlockSize(type));
            for (long at = 0; at < bytes; at += blockBytes)
                FillExtremeBlock(type, data + at, blockBytes, random);
            var matrix = new WeightMatrix((nint)data, bytes, type, rows, columns);
            using var packed = PackedWeights.Pack(matrix);
            var x = Enumerable.Range(0, columns).Select(_ => random.Next(2) == 0 ? -1f : 1f).ToArray();
            var expected = new float[rows];
            var actual = new float[rows];
            MatVec.Multiply(matrix, x, expected, ComputePool.SingleThreaded, IsaPath.Scalar);
            MatVec.Multiply(packed.Matrix, x, actual, ComputePool.SingleThreaded, path);
            var floats = new float[rows * columns];
            for (int r = 0; r < rows; r++)
                Quantizer.Dequantize(type, matrix.RowSpan(r), floats.AsSpan(r * columns, columns));
            PackedCases.AssertRowsClose(floats, x, expected, actual, $"{type} {path}");
        }
        finally
        {
            NativeMemory.AlignedFree(data);
        }
    }

    /// <summary>
    /// Every quant at an end of its range: Q8_0 at ±127/−128, 4-bit nibbles 0 or 15 (Q5_0's fifth bits random, so 0..31 at both ends; Q4_1's and Q5_1's minimum −2 or 1.5, Q5_1's fifth bits random) (Q4_K and Q5_K with every 6-bit scale and
    /// min at 63, Q5_K's fifth bits random too), Q6_K's 6-bit quants 0 or 63 with int8 scales 127 or −128,
    /// Q3_K's 3-bit quants 0 or 7 with 6-bit scales −32 or 31, Q2_K's 2-bit quants 0 or 3 with 4-bit scales and minimums 0 or 15.
    /// </summary>
    private static void FillExtremeBlock(GgmlType type, byte* block, int blockBytes, Random random)
    {
        byte Either(byte a, byte b) => random.Next(2) == 0 ? a : b;
        for (int j = 0; j < blockBytes; j++)
            block[j] = type == GgmlType.Q8_0 ? Either(0x80, 0x7F) : Either(0x00, Either(0xFF, 0x0F));
        switch (type)
        {
            case GgmlType.Q4_K or GgmlType.Q5_K:
                *(ushort*)block = Fp16.FloatToHalf(0.25f);
                *(ushort*)(block + 2) = Fp16.FloatToHalf(0.125f);
                new Span<byte>(block + 4, 12).Fill(0xFF);
                break;
            case GgmlType.Q2_K:
                for (int j = 0; j < 80; j++)
                    block[j] = Either(0x00, Either(0xFF, Either(0x0F, 0xF0))); // scales and minimums 0 or 15, quants 0 or 3
                *(ushort*)(block + 80) = Fp16.FloatToHalf(0.25f);
                *(ushort*)(block + 82) = Fp16.FloatToHalf(0.125f);
                break;
            case GgmlType.Q3_K:
                for (int j = 0; j < 96; j++)
                    block[j] = Either(0x00, 0xFF);
                for (int j = 96; j < 108; j++)
                    block[j] = Either(0x00, 0xFF); // scales −32 or 31
                *(ushort*)(block + 108) = Fp16.FloatToHalf(0.25f);
                break;
            case GgmlType.Q4_1 or GgmlType.Q5_1:
                *(ushort*)block = Fp16.FloatToHalf(0.25f);
                *(ushort*)(block + 2) = Fp16.FloatToHalf(random.Next(2) == 0 ? -2f : 1.5f);
                break;
            case GgmlType.Q6_K:
                for (int j = 0; j < 192; j++)
                    block[j] = Either(0x00, 0xFF);
                for (int j = 192; j < 208; j++)
                    block[j] = Either(0x7F, 0x80);
                *(ushort*)(block + 208) = Fp16.FloatToHalf(0.25f);
                break;
            default:
                *(ushort*)block = Fp16.FloatToHalf(0.25f);
                break;
        }
    }

    [Theory]
    [MemberData(nameof(PackedCases.DecodeTypeData), MemberType = typeof(PackedCases))]
    public void PackingOnAPoolWritesTheSameBytes(GgmlType type)
    {
        using var m = new TestMatrix(type, 203, 10 * GgmlTypeTraits.BlockSize(type), seed: 6);
        using var alone = PackedWeights.Pack(m.Matrix);
        foreach (int threads in new[] { 2, 3 })
        {
            using var pool = new ComputePool(threads);
            using var shared = PackedWeights.Pack(m.Matrix, pool);
            Assert.Equal(alone.ByteLength, shared.ByteLength);
            var expected = new ReadOnlySpan<byte>((void*)alone.Matrix.Packed.FirstGroup, (int)alone.ByteLength);
            var actual = new ReadOnlySpan<byte>((void*)shared.Matrix.Packed.FirstGroup, (int)shared.ByteLength);
            Assert.True(expected.SequenceEqual(actual), $"{type} packed on {threads} threads differs");
        }
        // A bad scale in the last thread's share is still found.
        int scaleOffset = type switch { GgmlType.Q6_K => 208, GgmlType.Q3_K => 108, GgmlType.Q2_K => 80, _ => 0 }; // d of the row's first block
        *(ushort*)(m.Data + (nint)(202 * m.Matrix.RowBytes) + scaleOffset) = 0x7C00;
        using var three = new ComputePool(3);
        Assert.False(PackedWeights.TryPack(m.Matrix, out _, three));
    }

    [Fact]
    public void DisposeIsIdempotent()
    {
        using var m = new TestMatrix(GgmlType.Q8_0, 2, 32, seed: 5);
        var packed = PackedWeights.Pack(m.Matrix);
        packed.Dispose();
        packed.Dispose();
    }
}
