using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Quantization;
using FastInfer.Kernels.Tests.Support;

namespace FastInfer.Kernels.Tests.MatMul;

/// <summary>Rows computed several per pass must carry the bits each row gets alone, whatever group or share it falls in.</summary>
public unsafe class FloatRowGroupsTests
{
    private const int Rows = 19; // two groups of eight (or four of four) and a remainder, from any start row

    [Theory]
    [MemberData(nameof(IsaPaths.WithLengths), MemberType = typeof(IsaPaths))]
    public void F32_rows_in_groups_equal_each_row_alone(IsaPath path, int n)
        => AssertGroupsEqualLoneRows<BlockF32>(GgmlType.F32, path, n);

    [Theory]
    [MemberData(nameof(IsaPaths.WithLengths), MemberType = typeof(IsaPaths))]
    public void BF16_rows_in_groups_equal_each_row_alone(IsaPath path, int n)
        => AssertGroupsEqualLoneRows<BlockBF16>(GgmlType.BF16, path, n);

    private static void AssertGroupsEqualLoneRows<T>(GgmlType type, IsaPath path, int n) where T : struct, IFloatBlock
    {
        var weights = RandomData.Uniform(Rows * n, seed: n);
        var x = RandomData.Uniform(n, seed: n + 1);
        long rowBytes = GgmlTypeTraits.RowBytes(type, n);
        var encoded = new byte[rowBytes * Rows];
        for (int r = 0; r < Rows; r++)
            Quantizer.Quantize(type, weights.AsSpan(r * n, n), encoded.AsSpan((int)(r * rowBytes), (int)rowBytes));
        fixed (byte* w = encoded)
        fixed (float* px = x)
        {
            var alone = new float[Rows];
            for (int r = 0; r < Rows; r++)
                alone[r] = RowDot.Float<T>(w + r * rowBytes, px, n, path);
            foreach (int start in new[] { 0, 1, 3 })
            {
                var grouped = new float[Rows];
                fixed (float* py = grouped)
                    FloatRowGroups.Rows<T>(w, rowBytes, start, Rows, px, n, py, path);
                for (int r = start; r < Rows; r++)
                    Assert.True(BitConverter.SingleToInt32Bits(alone[r]) == BitConverter.SingleToInt32Bits(grouped[r]),
                        $"{type} {path} n={n} start={start} row {r}: grouped {grouped[r]} vs alone {alone[r]}");
            }
        }
    }
}
