using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Blocks.Simd;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Ops.QuantGemm;

/// <summary>
/// Q2_K: x = d·scale_g·q − dmin·min_g per 16-column group g, with 4-bit scales and mins, so the scales are the low
/// nibbles and offset pair i is (min_2i, min_2i+1), times −dmin. ggml layout (see <see cref="BlockQ2_K"/>): scales[16]
/// (scale in the low nibble, min in the high), qs[64] (column 128n+32j+l in bits 2j..2j+1 of qs[32n+l]), fp16 d, fp16 dmin.
/// </summary>
internal readonly unsafe struct Q2KPanel : IKQuantPanel
{
    private const int QuantOffset = 16, DOffset = 80, DminOffset = 82;

    public static GgmlType Type => GgmlType.Q2_K;
    public static int SubBlockColumns => 16;
    public static int MaxQuant => 3;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Quants(byte* block, byte* destination)
    {
        for (int half = 0; half < 2; half++)
        {
            var q = Vector256.Load(block + QuantOffset + 32 * half);
            byte* to = destination + 128 * half;
            Nibbles.Field(q, 0, 3, 0).Store(to);
            Nibbles.Field(q, 2, 3, 0).Store(to + 32);
            Nibbles.Field(q, 4, 3, 0).Store(to + 64);
            Nibbles.Field(q, 6, 3, 0).Store(to + 96);
        }
    }

    public static void Header(byte* block, int* scales, int* offsets, out float d, out float offsetFactor)
    {
        for (int g = 0; g < 16; g++)
            scales[8 * g] = block[g] & 0x0F;
        for (int i = 0; i < 8; i++)
            offsets[8 * i] = block[2 * i] >> 4 | (block[2 * i + 1] >> 4) << 16;
        d = Fp16.Load(block + DOffset);
        offsetFactor = -Fp16.Load(block + DminOffset);
    }
}
