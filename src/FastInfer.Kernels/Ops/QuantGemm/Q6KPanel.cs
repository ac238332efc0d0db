using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Blocks.Simd;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Ops.QuantGemm;

/// <summary>
/// Q6_K: x = d·scale_g·(q − 32) per 16-column group g with signed int8 scales. The quants stay unsigned (0..63) and
/// the −32 becomes the offset term: pair i is (32·scale_2i, 32·scale_2i+1), at most 4096 in magnitude, times −d.
/// ggml layout (see <see cref="BlockQ6_K"/>): ql[128], qh[64], scales[16], fp16 d.
/// </summary>
internal readonly unsafe struct Q6KPanel : IKQuantPanel
{
    private const int HighOffset = 128, ScaleOffset = 192, DOffset = 208;

    public static GgmlType Type => GgmlType.Q6_K;
    public static int SubBlockColumns => 16;
    public static int MaxQuant => 63;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Quants(byte* block, byte* destination)
    {
        for (int half = 0; half < 2; half++)
        {
            var h = Vector256.Load(block + HighOffset + 32 * half);
            var l0 = Vector256.Load(block + 64 * half);
            var l1 = Vector256.Load(block + 64 * half + 32);
            byte* to = destination + 128 * half;
            (Nibbles.Low(l0) | Nibbles.Field(h, 0, 3, 4)).Store(to);
            (Nibbles.Low(l1) | Nibbles.Field(h, 2, 3, 4)).Store(to + 32);
            (Nibbles.High(l0) | Nibbles.Field(h, 4, 3, 4)).Store(to + 64);
            (Nibbles.High(l1) | Nibbles.Field(h, 6, 3, 4)).Store(to + 96);
        }
    }

    public static void Header(byte* block, int* scales, int* offsets, out float d, out float offsetFactor)
    {
        sbyte* sc = (sbyte*)(block + ScaleOffset);
        for (int g = 0; g < 16; g++)
            scales[8 * g] = sc[g];
        for (int i = 0; i < 8; i++)
            offsets[8 * i] = (ushort)(short)(32 * sc[2 * i]) | (32 * sc[2 * i + 1]) << 16;
        d = Fp16.Load(block + DOffset);
        offsetFactor = -d;
    }
}
