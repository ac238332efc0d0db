using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Blocks.Simd;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Ops.QuantGemm;

/// <summary>
/// A whole group of eight Q4_K or Q5_K rows from its packed decode copy (<see cref="PackedQ4_K"/>, <see cref="PackedQ5_K"/>)
/// straight into the prefill panel (<see cref="PanelLayout"/>, as <see cref="ScaleMinPanel{T}"/> fills it), without writing
/// the rows back first. Both layouts put row r in lane r: packed vector k of chunk c holds each row's quant bytes
/// 32c+4k.., whose low nibbles are the panel's vector 16c+k (columns 64c+4k..) and high nibbles its vector 16c+8+k (Q5_K
/// adds bit 2c or 2c+1 of its fifth-bit vector k as bit 4); and the three scale-field vectors unpack into the eight rows'
/// scales and minimums with the word arithmetic of <see cref="KScales.Unpack"/>, lane by lane. Writing the rows back and
/// repacking them (<see cref="PackedRows"/>, <see cref="PanelPacker"/>) was the largest cost outside the tiles in a
/// profile of a short Q4_K_M prompt; the panel bytes are the same.
/// </summary>
internal static unsafe class ScaleMinPanelFromPacked
{

    /// <summary>The group's <paramref name="blocks"/> super-blocks from <paramref name="group"/> into panel block b at
    /// <paramref name="panel"/> + b·<paramref name="blockStride"/>.</summary>
    public static void Pack<TPanel>(byte* group, int blocks, byte* panel, long blockStride) where TPanel : struct, IKQuantPanel
    {
        bool fifthBits = typeof(TPanel) == typeof(ScaleMinPanel<BlockQ5_K>);
        int superBlockBytes = fifthBits ? PackedQ5_K.SuperBlockBytes : PackedQ4_K.SuperBlockBytes;
        for (int b = 0; b < blocks; b++)
            PackSuperBlock(group + (long)b * superBlockBytes, panel + b * blockStride, fifthBits);
    }

    private static void PackSuperBlock(byte* superBlock, byte* target, bool fifthBits)
    {
        for (int c = 0; c < 4; c++)
        {
            byte* chunk = superBlock + PackedQ4_K.QuantOffset + PackedQ4_K.ChunkBytes * c;
            byte* low = target + PanelLayout.VectorBytes * 16 * c, high = low + PanelLayout.VectorBytes * 8;
            for (int k = 0; k < 8; k++)
            {
                var quants = Vector256.Load(chunk + 32 * k);
                var lowQuants = Nibbles.Low(quants);
                var highQuants = Nibbles.High(quants);
                if (fifthBits)
                {
                    var bits = PackedQ5_K.Load(superBlock, k);
                    lowQuants |= Nibbles.Field(bits, 2 * c, 1, 4);
                    highQuants |= Nibbles.Field(bits, 2 * c + 1, 1, 4);
                }
                lowQuants.Store(low + PanelLayout.VectorBytes * k);
                highQuants.Store(high + PanelLayout.VectorBytes * k);
            }
        }
        var w0 = Vector256.Load((uint*)(superBlock + PackedQ4_K.ScaleFieldOffset));
        var w1 = Vector256.Load((uint*)(superBlock + PackedQ4_K.ScaleFieldOffset + 32));
        var w2 = Vector256.Load((uint*)(superBlock + PackedQ4_K.ScaleFieldOffset + 64));
        // Q4_K's panel offsets serve Q5_K too: both have 32-column sub-blocks.
        uint* scales = (uint*)(target + PanelLayout.ScalesAt);
        uint* offsets = (uint*)(target + PanelLayout.OffsetsAt<ScaleMinPanel<BlockQ4_K>>());
        var six = Vector256.Create(63u);
        var four = Vector256.Create(15u);
        var two = Vector256.Create(3u);
        for (int j = 0; j < 4; j++)
        {
            int shift = 8 * j;
            var scaleLow = Vector256.ShiftRightLogical(w0, shift) & six;
            var minLow = Vector256.ShiftRightLogical(w1, shift) & six;
            var scaleHigh = (Vector256.ShiftRightLogical(w2, shift) & four) | ((Vector256.ShiftRightLogical(w0, shift + 6) & two) << 4);
            var minHigh = (Vector256.ShiftRightLogical(w2, shift + 4) & four) | ((Vector256.ShiftRightLogical(w1, shift + 6) & two) << 4);
            scaleLow.Store(scales + 8 * j);
            scaleHigh.Store(scales + 8 * (j + 4));
            (minLow | (minLow << 16)).Store(offsets + 8 * j);
            (minHigh | (minHigh << 16)).Store(offsets + 8 * (j + 4));
        }
        float* d = (float*)(target + PanelLayout.DAt<ScaleMinPanel<BlockQ4_K>>());
        float* offsetFactor = (float*)(target + PanelLayout.OffsetFactorAt<ScaleMinPanel<BlockQ4_K>>());
        for (int r = 0; r < PanelLayout.Rows; r++)
        {
            d[r] = Fp16.Load(superBlock + 2 * r);
            offsetFactor[r] = -Fp16.Load(superBlock + 16 + 2 * r);
        }
    }
}
