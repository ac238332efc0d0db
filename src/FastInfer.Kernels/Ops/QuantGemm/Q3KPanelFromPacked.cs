using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks.Simd;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Ops.QuantGemm;

/// <summary>
/// A whole group of eight Q3_K rows from its packed decode copy (<see cref="PackedQ3_K"/>) straight into the prefill panel
/// (as <see cref="Q3KPanel"/> fills it from rows). Packed quant vector (n, k) holds, lane r = row r, the qs bytes 32n+4k..,
/// and high-bit vector k the hmask bytes 4k..: bit pair j of the first with bit 4n+j of the second as bit 2 is the
/// panel's vector 32n+8j+k (columns 128n+32j+4k..). The signed scales come four to a lane from
/// <see cref="PackedQ3_K.Scales(Vector256{uint}, Vector256{uint}, int, int)"/>, the decode kernel's unpacking.
/// </summary>
internal static unsafe class Q3KPanelFromPacked
{
    public static void Pack(byte* group, int blocks, byte* panel, long blockStride)
    {
        for (int b = 0; b < blocks; b++)
            PackSuperBlock(group + (long)b * PackedQ3_K.SuperBlockBytes, panel + b * blockStride);
    }

    private static void PackSuperBlock(byte* superBlock, byte* target)
    {
        for (int k = 0; k < 8; k++)
        {
            var high = Vector256.Load(superBlock + PackedQ3_K.HighBitsOffset + 32 * k);
            for (int n = 0; n < 2; n++)
            {
                var low = Vector256.Load(superBlock + PackedQ3_K.QuantOffset + 32 * (8 * n + k));
                byte* to = target + PanelLayout.VectorBytes * (32 * n + k);
                for (int j = 0; j < 4; j++)
                    (Nibbles.Field(low, 2 * j, 3, 0) | Nibbles.Field(high, 4 * n + j, 1, 2)).Store(to + PanelLayout.VectorBytes * 8 * j);
            }
        }
        var w0 = Vector256.Load((uint*)(superBlock + PackedQ3_K.ScaleOffset));
        var w1 = Vector256.Load((uint*)(superBlock + PackedQ3_K.ScaleOffset + 32));
        var w2 = Vector256.Load((uint*)(superBlock + PackedQ3_K.ScaleOffset + 64));
        int* scales = (int*)(target + PanelLayout.ScalesAt);
        int* offsets = (int*)(target + PanelLayout.OffsetsAt<Q3KPanel>());
        // Scales 4i..4i+3 of each row, one byte each (the field layout PackedQ3_K.Scales documents); offsets 4·scale.
        for (int i = 0; i < 4; i++)
            PanelSignedScales.Store(PackedQ3_K.Scales(i % 2 == 0 ? w0 : w1, w2, i < 2 ? 0 : 4, 2 * i).AsInt32(), i, 4, scales, offsets);
        float* d = (float*)(target + PanelLayout.DAt<Q3KPanel>());
        float* offsetFactor = (float*)(target + PanelLayout.OffsetFactorAt<Q3KPanel>());
        for (int r = 0; r < PanelLayout.Rows; r++)
        {
            d[r] = Fp16.Load(superBlock + 2 * r);
            offsetFactor[r] = -d[r];
        }
    }
}
