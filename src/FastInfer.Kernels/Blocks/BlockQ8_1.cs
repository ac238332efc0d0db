using System.Runtime.CompilerServices;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Blocks;

/// <summary>
/// ggml block_q8_1: fp16 d, fp16 s, int8 qs[32]; x = d·q, and s = d·Σq rounded to F16, d taken before its own rounding.
/// The activation block of the types with a minimum (Q4_1, Q5_1), as in ggml: their blocks add m·s.
/// </summary>
public readonly unsafe struct BlockQ8_1 : IQuantizableBlock
{
    public const int ElementCount = 32, ByteCount = 2 + 2 + 32, QuantOffset = 4;
    public static GgmlType Type => GgmlType.Q8_1;
    public static int Elements => ElementCount;
    public static int Bytes => ByteCount;

    public static void Dequantize(byte* block, float* destination)
    {
        float d = Fp16.Load(block);
        sbyte* q = (sbyte*)(block + QuantOffset);
        for (int j = 0; j < 32; j++)
            destination[j] = q[j] * d;
    }

    /// <summary>ggml's reference: the quants of <see cref="BlockQ8_0.Quantize"/>, then s from their sum.</summary>
    public static void Quantize(float* source, byte* block)
    {
        sbyte* quants = (sbyte*)(block + QuantOffset);
        float d = BlockQ8_0.Quants(source, quants);
        int sum = 0;
        for (int j = 0; j < 32; j++)
            sum += quants[j];
        Unsafe.WriteUnaligned(block, Fp16.FloatToHalf(d));
        Unsafe.WriteUnaligned(block + 2, Fp16.FloatToHalf(sum * d));
    }
}
