using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops.QuantGemm;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Tests.MatMul;
using FastInfer.Kernels.Tests.Support;

namespace FastInfer.Kernels.Tests.QuantGemm;

/// <summary>
/// K-quant prefill fills its panels straight from the packed decode copy; the panel must be byte for byte the one
/// the rows give through <see cref="PanelPacker"/>, every scale and minimum value included.
/// </summary>
public unsafe class PanelsFromPackedTests
{
    [SkippableTheory]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q5_K)]
    [InlineData(GgmlType.Q6_K)]
    [InlineData(GgmlType.Q3_K)]
    [InlineData(GgmlType.Q2_K)]
    public void PanelsFromThePackedCopyMatchPanelsFromTheRows(GgmlType type)
    {
        // The K-quant GEMM and its panel packers are AVX2 code.
        IsaPaths.SkipUnlessRuns(IsaPath.Avx2);
        switch (type)
        {
            case GgmlType.Q4_K: Check<ScaleMinPanel<BlockQ4_K>>(type); break;
            case GgmlType.Q5_K: Check<ScaleMinPanel<BlockQ5_K>>(type); break;
            case GgmlType.Q6_K: Check<Q6KPanel>(type); break;
            case GgmlType.Q3_K: Check<Q3KPanel>(type); break;
            default: Check<Q2KPanel>(type); break;
        }
    }

    private static void Check<TPanel>(GgmlType type) where TPanel : struct, IKQuantPanel
    {
        const int rows = 16, columns = 1024;
        using var m = new TestMatrix(type, rows, columns, seed: 41);
        // Random scale fields: every 6-bit scale and minimum value in both halves of each byte (Q4_K, Q5_K), every int8
        // scale (Q6_K), every 6-bit signed scale (Q3_K), every 4-bit scale and minimum (Q2_K); d and dmin left finite.
        var random = new Random(42);
        long rowBytes = m.Matrix.RowBytes;
        var (fieldOffset, fieldBytes) = type switch
        {
            GgmlType.Q6_K => (192, 16),
            GgmlType.Q3_K => (96, 12),
            GgmlType.Q2_K => (0, 16),
            _ => (ScaleMinBlocks.ScalesOffset, 12),
        };
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
                PanelFromPacked.Pack<TPanel>((byte*)view.FirstGroup + g * view.GroupBytes, blocks, target, blockBytes);
            }
            Assert.Equal(fromRows, fromPacked);
        }
    }
}
