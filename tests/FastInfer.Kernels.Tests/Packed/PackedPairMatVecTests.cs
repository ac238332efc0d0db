using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Tests.Support;
using FastInfer.Kernels;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Quantization;
using FastInfer.Kernels.Tests.MatMul;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Tests.Packed;

/// <summary>
/// The 512-bit pair kernels (two groups, sixteen rows, per pass) on the AVX-512 path: each row must carry exactly the
/// bits of the 256-bit 8-row kernels and of prefill, for any group count (odd ones end in a lone group), slice and
/// thread count. Where the machine has no AVX-512 they run with its instructions emulated (<see cref="Support.Avx512Emulation"/>).
/// </summary>
public unsafe class PackedPairMatVecTests
{
    /// <summary>Rows: one group, an odd and an even number of groups, partial last groups; columns: chunk tails.</summary>
    private static readonly (int Rows, int Columns)[] Shapes =
        [(1, 32), (5, 96), (8, 160), (9, 64), (16, 128), (17, 160), (24, 32), (33, 1024), (47, 224), (64, 256)];

    [Fact]
    public void HighNibblesAreEachBytesTopFourBits()
    {
        var bytes = new byte[256];
        for (int i = 0; i < 256; i++)
            bytes[i] = (byte)i;
        for (int offset = 0; offset < 256; offset += 64)
        {
            var high = PackedPair.HighNibbles(Vector512.Create(bytes, offset));
            for (int i = 0; i < 64; i++)
                Assert.Equal((byte)((offset + i) >> 4), high[i]);
        }
    }

    [Fact]
    public void SpreadPutsOneColumnQuadInEachHalf()
    {
        var quads = Vector512.CreateSequence(100, 1);
        for (int quad = 0; quad < 7; quad++)
        {
            var spread = PackedPair.Spread(quads, quad).AsInt32();
            for (int lane = 0; lane < 16; lane++)
                Assert.Equal(100 + quad + lane / 8, spread[lane]);
        }
    }

    [Fact]
    public void FoldAddsEachGroupsHalvesAndPutsTheGroupsSideBySide()
    {
        // Values whose int32 view would carry between the int16 lanes if the halves were added as int32.
        var low = Vector512.CreateSequence((short)-16, (short)1) * 1000;
        var high = Vector512.CreateSequence((short)30, (short)-1) * 999;
        var folded = PackedPair.Fold(low, high);
        for (int lane = 0; lane < 16; lane++)
        {
            Assert.Equal((short)(low[lane] + low[lane + 16]), folded[lane]);
            Assert.Equal((short)(high[lane] + high[lane + 16]), folded[lane + 16]);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(PackedCases.DecodeTypeData), MemberType = typeof(PackedCases))]
    public void DecodeHasTheBitsOfThe256BitKernelsAndOfPrefill(GgmlType type)
    {
        IsaPaths.SkipUnlessRuns(IsaPath.Avx512);
        int columnScale = GgmlTypeTraits.BlockSize(type) / 32;
        foreach (var (rows, blockColumns) in Shapes)
        {
            int columns = blockColumns * columnScale;
            using var m = new TestMatrix(type, rows, columns, seed: rows * 3 + columns);
            using var packed = PackedWeights.Pack(m.Matrix);
            var x = TestMatrix.RandomVector(2 * columns, seed: columns + 1);
            var pair = new float[rows];
            MatVec.Multiply(packed.Matrix, x.AsSpan(0, columns), pair, ComputePool.SingleThreaded, IsaPath.Avx512);

            var narrow = new float[rows];
            MatVec.Multiply(packed.Matrix, x.AsSpan(0, columns), narrow, ComputePool.SingleThreaded, IsaPath.Avx2);
            Assert.Equal(narrow, pair);
            Assert.Equal(EightRowBits(packed.Matrix, x.AsSpan(0, columns)), pair);

            // Packed K-quants prefill with the row-major kernels (their rows read back from the copy), their own float chain.
            if (type is not (GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K))
            {
                var prefill = new float[2 * rows];
                Ops.MatMul.Multiply(packed.Matrix, x, prefill, 2, ComputePool.SingleThreaded, IsaPath.Avx512);
                Assert.Equal(prefill.AsSpan(0, rows).ToArray(), pair);
            }

            var expected = new float[rows];
            MatVec.Multiply(m.Matrix, x.AsSpan(0, columns), expected, ComputePool.SingleThreaded, IsaPath.Scalar);
            PackedCases.AssertRowsClose(m.Floats, x.AsSpan(0, columns), expected, pair, $"{type} pair {rows}x{columns}");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(PackedCases.DecodeTypeData), MemberType = typeof(PackedCases))]
    public void SlicesAndThreadCountsKeepTheBits(GgmlType type)
    {
        IsaPaths.SkipUnlessRuns(IsaPath.Avx512);
        // 1003 rows: 126 groups, 63 pairs, the last group partial; above the pool's inline threshold.
        const int rows = 1003, columns = 1024;
        using var m = new TestMatrix(type, rows, columns, seed: 11);
        using var packed = PackedWeights.Pack(m.Matrix);
        var x = TestMatrix.RandomVector(columns, seed: 12);
        ThreadCounts.AssertIdenticalForOneTwoAndThree(rows, (pool, y) => MatVec.Multiply(packed.Matrix, x, y, pool, IsaPath.Avx512));
        var full = new float[rows];
        MatVec.Multiply(packed.Matrix, x, full, ComputePool.SingleThreaded, IsaPath.Avx512);
        Assert.Equal(EightRowBits(packed.Matrix, x), full);
        foreach (var (first, count) in new[] { (8, 16), (3, 21), (13, 1), (9, 40), (990, 13) })
        {
            var part = new float[count];
            MatVec.Multiply(packed.Matrix.SliceRows(first, count), x, part, ComputePool.SingleThreaded, IsaPath.Avx512);
            Assert.Equal(full.AsSpan(first, count).ToArray(), part);
        }
    }

    /// <summary>
    /// The bits of the 8-row arithmetic: group by group for the block formats; for the K-quants, whose 8-row kernels have no
    /// separate reference, the 256-bit path's walk over the same packed copy.
    /// </summary>
    private static float[] EightRowBits(in WeightMatrix packed, ReadOnlySpan<float> x)
    {
        if (packed.Type is not (GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K))
            return PackedCases.GroupByGroup(packed, x, AvxVnni.IsSupported);
        var y = new float[packed.Rows];
        MatVec.Multiply(packed, x, y, ComputePool.SingleThreaded, IsaPath.Avx2);
        return y;
    }

    [SkippableFact]
    public void Q8_0ExtremeQuantsSumExactly()
    {
        IsaPaths.SkipUnlessRuns(IsaPath.Avx512);
        // Every stored byte q+128 from 0 to 255 (both nibbles 0 and 15 included) against activations at ±127: the split
        // into nibbles must give the exact int vpdpbusd gives, with no int16 saturation anywhere.
        const int rows = 19, columns = 256;
        int rowBytes = columns / 32 * Blocks.BlockQ8_0.ByteCount;
        var data = new byte[rows * rowBytes];
        sbyte[] pattern = [127, -128, -127, 0, 1, -1, 15, -16];
        for (int r = 0; r < rows; r++)
            for (int b = 0; b < columns / 32; b++)
            {
                int at = r * rowBytes + b * Blocks.BlockQ8_0.ByteCount;
                data[at] = 0x00;
                data[at + 1] = 0x3C; // scale 1.0
                for (int i = 0; i < 32; i++)
                    data[at + 2 + i] = (byte)(r + b + i < 8 ? pattern[(r + b + i) % 8] : (sbyte)((r * 31 + b * 17 + i * 7) % 256 - 128));
            }
        var x = new float[columns];
        for (int i = 0; i < columns; i++)
            x[i] = i % 3 == 0 ? 1 : -1;
        fixed (byte* pd = data)
        {
            var matrix = new WeightMatrix((nint)pd, data.Length, GgmlType.Q8_0, rows, columns);
            using var packed = PackedWeights.Pack(matrix);
            var pair = new float[rows];
            MatVec.Multiply(packed.Matrix, x, pair, ComputePool.SingleThreaded, IsaPath.Avx512);
            Assert.Equal(PackedCases.GroupByGroup(packed.Matrix, x, AvxVnni.IsSupported), pair);
            var expected = new float[rows];
            MatVec.Multiply(matrix, x, expected, ComputePool.SingleThreaded, IsaPath.Scalar);
            Assert.Equal(expected, pair);
            AssertAvx512PrefillHasTheBits(packed.Matrix, x, pair);
        }
    }

    [SkippableFact]
    public void Q4_0LargestBlockSumsStayExact()
    {
        IsaPaths.SkipUnlessRuns(IsaPath.Avx512);
        // Every nibble 15 in most rows, against activations that all quantize to +127 or all to −127: each int16 lane of
        // the AVX2 kernel's run then holds sixteen products of 15·127 (30480, just under int16's limit). Every third row
        // is all zeros (−8 after the zero point).
        const int rows = 21, columns = 512;
        int rowBytes = columns / 32 * Blocks.BlockQ4_0.Bytes;
        var data = new byte[rows * rowBytes];
        for (int r = 0; r < rows; r++)
            for (int b = 0; b < columns / 32; b++)
            {
                int at = r * rowBytes + b * Blocks.BlockQ4_0.Bytes;
                data[at] = 0x00;
                data[at + 1] = 0x3C; // d = 1.0
                for (int i = 2; i < Blocks.BlockQ4_0.Bytes; i++)
                    data[at + i] = r % 3 == 2 ? (byte)0x00 : (byte)0xFF;
            }
        AssertExtremesKeepTheBits(GgmlType.Q4_0, data, rows, columns);
    }

    [SkippableFact]
    public void Q5_0LargestBlockSumsStayExact()
    {
        IsaPaths.SkipUnlessRuns(IsaPath.Avx512);
        // Every quant 31 (all nibbles 15, every fifth bit set) in most rows, against activations that all quantize to
        // +127 or all to −127: each int16 lane of a group then holds 8·31·127, the most before the group widens. Every
        // third row is all zeros (−16 after the zero point) and one row mixes set and clear fifth bits. (Which column a
        // fifth bit lands in, constant activations cannot tell; the random cases above check that.)
        const int rows = 21, columns = 512;
        int rowBytes = columns / 32 * Blocks.BlockQ5_0.Bytes;
        var data = new byte[rows * rowBytes];
        for (int r = 0; r < rows; r++)
            for (int b = 0; b < columns / 32; b++)
            {
                int at = r * rowBytes + b * Blocks.BlockQ5_0.Bytes;
                data[at] = 0x00;
                data[at + 1] = 0x3C; // d = 1.0
                byte fill = r % 3 == 2 ? (byte)0x00 : (byte)0xFF;
                for (int i = 2; i < Blocks.BlockQ5_0.Bytes; i++)
                    data[at + i] = fill;
                if (r == 4)
                    for (int i = 2; i < 6; i++)
                        data[at + i] = (byte)(b % 2 == 0 ? 0x5A : 0xC3); // fifth bits in a pattern
            }
        AssertExtremesKeepTheBits(GgmlType.Q5_0, data, rows, columns);
    }

    [SkippableFact]
    public void Q5_1LargestBlockSumsStayExact()
    {
        IsaPaths.SkipUnlessRuns(IsaPath.Avx512);
        // Q5_0's extremes with a minimum: every quant 31 in most rows (prefill sums four of Q5_1's vpmaddubsw results in
        // int16, 4·2·31·128 at most), every third row all zeros, one row with a pattern of fifth bits; the minimum −16
        // makes the quants the same values as Q5_0's, so the minimum term and the scaled sum nearly cancel.
        const int rows = 21, columns = 512;
        int rowBytes = columns / 32 * Blocks.BlockQ5_1.Bytes;
        var data = new byte[rows * rowBytes];
        for (int r = 0; r < rows; r++)
            for (int b = 0; b < columns / 32; b++)
            {
                int at = r * rowBytes + b * Blocks.BlockQ5_1.Bytes;
                data[at] = 0x00;
                data[at + 1] = 0x3C; // d = 1.0
                data[at + 2] = 0x00;
                data[at + 3] = 0xCC; // m = −16.0
                byte fill = r % 3 == 2 ? (byte)0x00 : (byte)0xFF;
                for (int i = 4; i < Blocks.BlockQ5_1.Bytes; i++)
                    data[at + i] = fill;
                if (r == 4)
                    for (int i = 4; i < 8; i++)
                        data[at + i] = (byte)(b % 2 == 0 ? 0x5A : 0xC3); // fifth bits in a pattern
            }
        AssertExtremesKeepTheBits(GgmlType.Q5_1, data, rows, columns);
    }

    [SkippableFact]
    public void Q2_KLargestSubBlockSumsStayExact()
    {
        IsaPaths.SkipUnlessRuns(IsaPath.Avx512);
        // Every quant 3 and every scale and minimum 15, against activations that all quantize to +127 or all to −127:
        // the largest int16 sums and widening products the kernel forms. The 256-bit kernel sums in int32, so any wrap
        // would show.
        const int rows = 21, columns = 512;
        int rowBytes = columns / 256 * Blocks.BlockQ2_K.Bytes;
        var data = new byte[rows * rowBytes];
        for (int r = 0; r < rows; r++)
            for (int b = 0; b < columns / 256; b++)
            {
                int at = r * rowBytes + b * Blocks.BlockQ2_K.Bytes;
                for (int i = 0; i < 80; i++)
                    data[at + i] = 0xFF; // scales, minimums and quants at their largest
                data[at + 80] = 0x00;
                data[at + 81] = 0x3C; // d = 1.0
                data[at + 82] = 0x00;
                data[at + 83] = (byte)(r % 2 == 0 ? 0x38 : 0x00); // dmin = 0.5 or 0
            }
        AssertExtremesKeepTheBits(GgmlType.Q2_K, data, rows, columns);
    }

    [SkippableFact]
    public void Q3_KLargestSubBlockSumsStayExact()
    {
        IsaPaths.SkipUnlessRuns(IsaPath.Avx512);
        // Every quant 7 (all bits set) and every 6-bit scale 31 or −32, against activations that all quantize to +127
        // or all to −127: the largest int16 sums and widening products the kernel forms. The 256-bit kernel sums in
        // int32, so any wrap would show.
        const int rows = 21, columns = 512;
        int rowBytes = columns / 256 * Blocks.BlockQ3_K.Bytes;
        var data = new byte[rows * rowBytes];
        for (int r = 0; r < rows; r++)
            for (int b = 0; b < columns / 256; b++)
            {
                int at = r * rowBytes + b * Blocks.BlockQ3_K.Bytes;
                for (int i = 0; i < 96; i++)
                    data[at + i] = 0xFF; // hmask and qs: every quant 7
                for (int i = 96; i < 108; i++)
                    data[at + i] = (byte)(r % 2 == 0 ? 0xFF : 0x00); // every scale 31 or −32
                data[at + 108] = 0x00;
                data[at + 109] = 0x3C; // d = 1.0
            }
        AssertExtremesKeepTheBits(GgmlType.Q3_K, data, rows, columns);
    }

    [SkippableFact]
    public void Q4_KLargestSubBlockSumsStayExact()
    {
        IsaPaths.SkipUnlessRuns(IsaPath.Avx512);
        // Every nibble 15 and every scale and minimum 63, against activations that all quantize to +127 or all to −127:
        // each int16 lane of a sub-block then holds sixteen products of 15·127 (30480, just under int16's limit) and the
        // scale multiply reaches its largest int. The scalar reference sums in int32, so any wrap would show.
        const int rows = 21, columns = 512;
        int rowBytes = columns / 256 * Blocks.BlockQ4_K.Bytes;
        var data = new byte[rows * rowBytes];
        for (int r = 0; r < rows; r++)
            for (int b = 0; b < columns / 256; b++)
            {
                int at = r * rowBytes + b * Blocks.BlockQ4_K.Bytes;
                data[at] = 0x00;
                data[at + 1] = 0x3C; // d = 1.0
                data[at + 2] = 0x00;
                data[at + 3] = (byte)(r % 2 == 0 ? 0x38 : 0x00); // dmin = 0.5 or 0
                for (int i = 4; i < Blocks.BlockQ4_K.Bytes; i++)
                    data[at + i] = 0xFF;
            }
        AssertExtremesKeepTheBits(GgmlType.Q4_K, data, rows, columns);
    }

    [SkippableFact]
    public void Q5_KLargestSubBlockSumsStayExact()
    {
        IsaPaths.SkipUnlessRuns(IsaPath.Avx512);
        // Every quant 31 (nibbles and fifth bits all set) and every scale and minimum 63, against activations that all
        // quantize to +127 or all to −127: each int16 lane then holds eight products of 31·127 (31496, just under
        // int16's limit) before the widening multiply by the scale. The scalar reference sums in int32, so any wrap would show.
        const int rows = 21, columns = 512;
        int rowBytes = columns / 256 * Blocks.BlockQ5_K.Bytes;
        var data = new byte[rows * rowBytes];
        for (int r = 0; r < rows; r++)
            for (int b = 0; b < columns / 256; b++)
            {
                int at = r * rowBytes + b * Blocks.BlockQ5_K.Bytes;
                data[at] = 0x00;
                data[at + 1] = 0x3C; // d = 1.0
                data[at + 2] = 0x00;
                data[at + 3] = (byte)(r % 2 == 0 ? 0x38 : 0x00); // dmin = 0.5 or 0
                for (int i = 4; i < Blocks.BlockQ5_K.Bytes; i++)
                    data[at + i] = 0xFF;
            }
        AssertExtremesKeepTheBits(GgmlType.Q5_K, data, rows, columns);
    }

    [SkippableFact]
    public void Q6_KLargestSubBlockSumsStayExact()
    {
        IsaPaths.SkipUnlessRuns(IsaPath.Avx512);
        // Every quant 63 and every scale 127 or −128, against activations that all quantize to +127 or all to −127: each
        // int16 lane then holds four products of 63·127 (32004, just under int16's limit) before the widening multiply by
        // the scale. The scalar reference sums in int32, so any wrap would show.
        const int rows = 21, columns = 512;
        int rowBytes = columns / 256 * Blocks.BlockQ6_K.Bytes;
        var data = new byte[rows * rowBytes];
        for (int r = 0; r < rows; r++)
            for (int b = 0; b < columns / 256; b++)
            {
                int at = r * rowBytes + b * Blocks.BlockQ6_K.Bytes;
                for (int i = 0; i < 192; i++)
                    data[at + i] = 0xFF; // ql and qh: every quant 63
                for (int i = 0; i < 16; i++)
                    data[at + 192 + i] = (byte)((r + i) % 2 == 0 ? 127 : 0x80);
                data[at + 208] = 0x00;
                data[at + 209] = 0x3C; // d = 1.0
            }
        AssertExtremesKeepTheBits(GgmlType.Q6_K, data, rows, columns);
    }

    /// <summary>
    /// Rows built to reach the largest int16 sums of the AVX-512 pair kernels and of the AVX2 kernels' int16 runs, against
    /// activations all +1 and all −1: the scalar reference's values on the AVX2 path and, where the CPU has AVX-512, on the
    /// pair kernel, which must also keep the bits of the 256-bit kernel.
    /// </summary>
    /// <summary>
    /// Prefill on the AVX-512 path (its 512-bit pair tiles where the runtime has no vpdpbusd for it, the 256-bit VNNI
    /// tiles where it has) of five copies of <paramref name="x"/> gives every token decode's bits,
    /// <paramref name="decoded"/>: the extreme int sums stay exact there too.
    /// </summary>
    private static void AssertAvx512PrefillHasTheBits(in WeightMatrix packed, float[] x, float[] decoded)
    {
        const int tokens = 5;
        var xs = new float[tokens * x.Length];
        for (int t = 0; t < tokens; t++)
            x.CopyTo(xs, t * x.Length);
        var batch = new float[tokens * packed.Rows];
        Ops.MatMul.Multiply(packed, xs, batch, tokens, ComputePool.SingleThreaded, IsaPath.Avx512);
        for (int t = 0; t < tokens; t++)
            Assert.Equal(decoded, batch.AsSpan(t * packed.Rows, packed.Rows).ToArray());
    }

    private static void AssertExtremesKeepTheBits(GgmlType type, byte[] data, int rows, int columns)
    {
        fixed (byte* pd = data)
        {
            var matrix = new WeightMatrix((nint)pd, data.Length, type, rows, columns);
            using var packed = PackedWeights.Pack(matrix);
            foreach (float sign in new[] { 1f, -1f })
            {
                var x = Enumerable.Repeat(sign, columns).ToArray();
                var expected = new float[rows];
                MatVec.Multiply(matrix, x, expected, ComputePool.SingleThreaded, IsaPath.Scalar);
                var avx2 = new float[rows];
                MatVec.Multiply(packed.Matrix, x, avx2, ComputePool.SingleThreaded, IsaPath.Avx2);
                AssertClose(expected, avx2);
                // Prefill's AVX2 tiles (four tokens against two groups) reach the same int16 sums.
                const int tokens = 5;
                var batch = new float[tokens * rows];
                Ops.MatMul.Multiply(packed.Matrix, Enumerable.Repeat(sign, tokens * columns).ToArray(), batch, tokens, ComputePool.SingleThreaded, IsaPath.Avx2);
                for (int t = 0; t < tokens; t++)
                    Assert.Equal(avx2, batch.AsSpan(t * rows, rows).ToArray());
                var pair = new float[rows];
                MatVec.Multiply(packed.Matrix, x, pair, ComputePool.SingleThreaded, IsaPath.Avx512);
                Assert.Equal(EightRowBits(packed.Matrix, x), pair);
                AssertClose(expected, pair);
                AssertAvx512PrefillHasTheBits(packed.Matrix, x, pair);
            }
        }

        static void AssertClose(float[] expected, float[] actual)
        {
            for (int r = 0; r < expected.Length; r++)
                Assert.Equal(expected[r], actual[r], Math.Abs(expected[r]) * 1e-6f);
        }
    }

    [Fact]
    public void ActivationQuantsStayWithinTheRangeThePairSumsAssume()
    {
        // The int16 sums are exact for activations within ±128; the quantizer's d = max|x|/127 keeps them within ±127.
        var x = TestMatrix.RandomVector(4096, seed: 13);
        x[7] = -1e30f;
        x[100] = 3.4e38f;
        x[2000] = -float.Epsilon;
        var q8 = new byte[4096 / 32 * Blocks.BlockQ8_0.ByteCount];
        fixed (float* px = x)
        fixed (byte* pq = q8)
        {
            ActivationQuantizer.Quantize<Blocks.BlockQ8_0>(px, pq, 4096 / 32);
            for (int b = 0; b < 4096 / 32; b++)
                for (int i = 0; i < 32; i++)
                    Assert.InRange((sbyte)pq[b * Blocks.BlockQ8_0.ByteCount + 2 + i], -127, 127);
        }
    }
}
