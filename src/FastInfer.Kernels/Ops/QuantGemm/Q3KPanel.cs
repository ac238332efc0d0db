using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Blocks.Simd;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Ops.QuantGemm;

/// <summary>
/// Q3_K: x = d·scale_g·(q − 4) per 16-column group g, with signed 6-bit scales (−32..31) and q = two low bits plus four
/// times the high bit (0..7). As for <see cref="Q6KPanel"/> the quants stay unsigned and the −4 becomes the offset term:
/// pair i is (4·scale_2i, 4·scale_2i+1), times −d. ggml layout (see <see cref="BlockQ3_K"/>): hmask[32] (column
/// 128n+32j+l's high bit is bit 4n+j of hmask[l]), qs[64] (its low bits are bits 2j..2j+1 of qs[32n+l]), scales[12], fp16 d.
/// </summary>
internal readonly unsafe struct Q3KPanel : IKQuantPanel
{
    private const int QuantOffset = 32, DOffset = 108;

    public static GgmlType Type => GgmlType.Q3_K;
    public static int SubBlockColumns => 16;
    public static int MaxQuant => 7;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Quants(byte* block, byte* destination)
    {
        var high = Vector256.Load(block);
        for (int half = 0; half < 2; half++)
        {
            var low = Vector256.Load(block + QuantOffset + 32 * half);
            byte* to = destination + 128 * half;
            for (int j = 0; j < 4; j++)
                (Nibbles.Field(low, 2 * j, 3, 0) | Nibbles.Field(high, 4 * half + j, 1, 2)).Store(to + 32 * j);
        }
    }

    public static void Header(byte* block, int* scales, int* offsets, out float d, out float offsetFactor)
    {
        var signedScales = BlockQ3_K.Scales(block);
        for (int g = 0; g < 16; g++)
            scales[8 * g] = signedScales.GetElement(g);
        for (int i = 0; i < 8; i++)
            offsets[8 * i] = (ushort)(short)(4 * signedScales.GetElement(2 * i)) | (4 * signedScales.GetElement(2 * i + 1)) << 16;
        d = Fp16.Load(block + DOffset);
        offsetFactor = -d;
    }
}
