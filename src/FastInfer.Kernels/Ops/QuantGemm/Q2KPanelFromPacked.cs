using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks.Simd;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Ops.QuantGemm;

/// <summary>
/// A whole group of eight Q2_K rows from its packed decode copy (<see cref="PackedQ2_K"/>) straight into the prefill panel
/// (as <see cref="Q2KPanel"/> fills it from rows). Packed quant vector (n, k) holds, lane r = row r, the qs bytes
/// 32n+4k..; bit pair j of its bytes is the panel's vector 32n+8j+k (columns 128n+32j+4k..). Scale byte g of a row holds
/// the group's scale in its low nibble and its minimum in the high one, four bytes to a lane of each scale vector.
/// </summary>
internal static unsafe class Q2KPanelFromPacked
{
    public static void Pack(byte* group, int blocks, byte* panel, long blockStride)
    {
        for (int b = 0; b < blocks; b++)
            PackSuperBlock(group + (long)b * PackedQ2_K.SuperBlockBytes, panel + b * blockStride);
    }

    private static void PackSuperBlock(byte* superBlock, byte* target)
    {
        for (int n = 0; n < 2; n++)
        {
            for (int k = 0; k < 8; k++)
            {
                var quants = Vector256.Load(superBlock + PackedQ2_K.QuantOffset + 32 * (8 * n + k));
                byte* to = target + PanelLayout.VectorBytes * (32 * n + k);
                for (int j = 0; j < 4; j++)
                    Nibbles.Field(quants, 2 * j, 3, 0).Store(to + PanelLayout.VectorBytes * 8 * j);
            }
        }
        uint* scales = (uint*)(target + PanelLayout.ScalesAt);
        uint* offsets = (uint*)(target + PanelLayout.OffsetsAt<Q2KPanel>());
        var nibble = Vector256.Create(15u);
        for (int i = 0; i < 4; i++)
        {
            var field = Vector256.Load((uint*)(superBlock + PackedQ2_K.ScaleOffset + 32 * i));
            for (int j = 0; j < 4; j++)
                (Vector256.ShiftRightLogical(field, 8 * j) & nibble).Store(scales + 8 * (4 * i + j));
            // Offset pairs 2i and 2i+1: the minimums of bytes 0|1 and 2|3 as two int16 halves.
            for (int m = 0; m < 2; m++)
                ((Vector256.ShiftRightLogical(field, 16 * m + 4) & nibble) | ((Vector256.ShiftRightLogical(field, 16 * m + 12) & nibble) << 16))
                    .Store(offsets + 8 * (2 * i + m));
        }
        float* d = (float*)(target + PanelLayout.DAt<Q2KPanel>());
        float* offsetFactor = (float*)(target + PanelLayout.OffsetFactorAt<Q2KPanel>());
        for (int r = 0; r < PanelLayout.Rows; r++)
        {
            d[r] = Fp16.Load(superBlock + 2 * r);
            offsetFactor[r] = -Fp16.Load(superBlock + 16 + 2 * r);
        }
    }
}
