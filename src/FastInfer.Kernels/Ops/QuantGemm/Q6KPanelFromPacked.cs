using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks.Simd;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Ops.QuantGemm;

/// <summary>
/// A whole group of eight Q6_K rows from its packed decode copy (<see cref="PackedQ6_K"/>) straight into the prefill panel
/// (<see cref="PanelLayout"/>, as <see cref="Q6KPanel"/> fills it), as <see cref="ScaleMinPanelFromPacked"/> does for Q4_K
/// and Q5_K. Step (half h, k) of the packed copy holds, lane r = row r, the ql bytes 64h+4k.. and 64h+32+4k.. and the qh
/// bytes 32h+4k..: their low and high nibbles with qh's bit pairs in turn are the panel's vectors 32h+k, 32h+8+k, 32h+16+k
/// and 32h+24+k (columns 128h+4k.., +32, +64, +96). The four int8 scale vectors give each 16-column group's scale for the
/// eight rows (<see cref="PanelSignedScales"/>). The panel bytes are those of the rows.
/// </summary>
internal static unsafe class Q6KPanelFromPacked
{
    /// <summary>The group's <paramref name="blocks"/> super-blocks from <paramref name="group"/> into panel block b at
    /// <paramref name="panel"/> + b·<paramref name="blockStride"/>.</summary>
    public static void Pack(byte* group, int blocks, byte* panel, long blockStride)
    {
        for (int b = 0; b < blocks; b++)
            PackSuperBlock(group + (long)b * PackedQ6_K.SuperBlockBytes, panel + b * blockStride);
    }

    private static void PackSuperBlock(byte* superBlock, byte* target)
    {
        for (int half = 0; half < 2; half++)
        {
            for (int k = 0; k < 8; k++)
            {
                byte* step = superBlock + PackedQ6_K.QuantOffset + (half * 8 + k) * PackedQ6_K.StepBytes;
                var first = Vector256.Load(step);
                var second = Vector256.Load(step + 32);
                var high = Vector256.Load(step + 64);
                byte* to = target + PanelLayout.VectorBytes * (32 * half + k);
                (Nibbles.Low(first) | Nibbles.Field(high, 0, 3, 4)).Store(to);
                (Nibbles.Low(second) | Nibbles.Field(high, 2, 3, 4)).Store(to + PanelLayout.VectorBytes * 8);
                (Nibbles.High(first) | Nibbles.Field(high, 4, 3, 4)).Store(to + PanelLayout.VectorBytes * 16);
                (Nibbles.High(second) | Nibbles.Field(high, 6, 3, 4)).Store(to + PanelLayout.VectorBytes * 24);
            }
        }
        int* scales = (int*)(target + PanelLayout.ScalesAt);
        int* offsets = (int*)(target + PanelLayout.OffsetsAt<Q6KPanel>());
        // Scale 4i+j of each row is byte j of its lane in field vector i; offsets 32·scale.
        for (int i = 0; i < 4; i++)
            PanelSignedScales.Store(Vector256.Load((int*)(superBlock + PackedQ6_K.ScaleOffset + 32 * i)), i, 32, scales, offsets);
        float* d = (float*)(target + PanelLayout.DAt<Q6KPanel>());
        float* offsetFactor = (float*)(target + PanelLayout.OffsetFactorAt<Q6KPanel>());
        for (int r = 0; r < PanelLayout.Rows; r++)
        {
            d[r] = Fp16.Load(superBlock + 2 * r);
            offsetFactor[r] = -d[r];
        }
    }
}
