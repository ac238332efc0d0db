using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Ops.QuantGemm;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Tests.MatMul;

namespace FastInfer.Kernels.Tests.QuantGemm;

/// <summary>
/// K-quant prefill fills its Q4_K, Q5_K and Q6_K panels straight from the packed decode copy; the panel must be byte for byte the one
/// the rows give through <see cref="PanelPacker"/>, every scale and minimum value included.
/// </summary>
public unsafe class PanelsFromPackedTests
{
    [Theory]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q5_K)]
    [InlineData(GgmlType.Q6_K)]
    public void PanelsFromThePackedCopyMatchPanelsFromTheRows(GgmlType type)
    {
        if (type == GgmlType.Q4_K)
            Check<ScaleMinPanel<BlockQ4_K>>(type);
        else if (type == GgmlType.Q5_K)
            Check<ScaleMinPanel<BlockQ5_K>>(type);
        else
            Check<Q6KPanel>(type);
    }

    private static void Check<TPanel>(GgmlType type) where TPanel : struct, IKQuantPanel
    {
        const int rows = 16, columns = 1024;
        using var m = new TestMatrix(type, rows, columns, seed: 41);
        // Random scale fields: every 6-bit scale and minimum value in both halves of each byte (Q4_K, Q5_K), every int8
        // scale (Q6_K); d and dmin left finite.
        var random = new Random(42);
        long rowBytes = m.Matrix.RowBytes;
        var (fieldOffset, fieldBytes) = type == GgmlType.Q6_K ? (192, 16) : (ScaleMinBlocks.ScalesOffset, 12);
        for (int r = 0; r < rows; r++)
            for (int b = 0; b < columns / 256; b++)
                random.NextBytes(new Span<byte>((byte*)m.Data + r * rowBytes + b * GgmlTypeTraits.BlockBytes(type) + fieldOffset, fieldBytes));
        using var packed = PackedWeights.Pack(m.Matrix);
        var view = packed.Matrix.Packed;
        int blocks = columns / 256, blockBytes = PanelLayout.BlockBytes<TPanel>();
        var fromRows = new byte[blocks * blockBytes];
        var fromPacked = new byte[blocks * blockBytes];
        var scratch = new byte[PanelPacker.RowScratchBytes];
        for (int g = 0; g < rows / PanelLayout.Rows; g++)
        {
            fixed (byte* target = fromRows)
            fixed (byte* rowScratch = scratch)
                PanelPacker.Pack<TPanel>((byte*)m.Data + g * PanelLayout.Rows * rowBytes, rowBytes, PanelLayout.Rows, blocks,
                    target, blockBytes, rowScratch);
            fixed (byte* target = fromPacked)
            {
                byte* group = (byte*)view.FirstGroup + g * view.GroupBytes;
                if (typeof(TPanel) == typeof(Q6KPanel))
                    Q6KPanelFromPacked.Pack(group, blocks, target, blockBytes);
                else
                    ScaleMinPanelFromPacked.Pack<TPanel>(group, blocks, target, blockBytes);
            }
            Assert.Equal(fromRows, fromPacked);
        }
    }
}
