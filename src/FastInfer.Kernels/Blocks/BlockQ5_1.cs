using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks.Simd;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Blocks;

/// <summary>
/// ggml block_q5_1: fp16 d, fp16 m, qh (32 bits, bit j the fifth bit of element j, as in Q5_0), qs[16] (nibbles as in
/// Q4_0); x = d·q + m with q in 0..31. Against Q8_1 activations, as <see cref="BlockQ4_1"/>: d·da·Σq·a + m·s.
/// </summary>
public readonly unsafe struct BlockQ5_1 : IQuantizableBlock, IIntegerDotBlock<BlockQ8_1>
{
    private const int HighBitsOffset = 4, QuantOffset = 8;

    public static GgmlType Type => GgmlType.Q5_1;
    public static int Elements => 32;
    public static int Bytes => 2 + 2 + 4 + 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Quant(byte* block, int j)
    {
        uint qh = Unsafe.ReadUnaligned<uint>(block + HighBitsOffset);
        int nibble = j < 16 ? block[QuantOffset + j] & 0x0F : block[QuantOffset + j - 16] >> 4;
        return nibble | (int)(((qh >> j) & 1) << 4);
    }

    public static void Dequantize(byte* block, float* destination)
    {
        float d = Fp16.Load(block), m = Fp16.Load(block + 2);
        for (int j = 0; j < 32; j++)
            destination[j] = Quant(block, j) * d + m;
    }

    /// <summary>ggml's reference: 32 levels from the block's minimum to its maximum, rounded half up.</summary>
    public static void Quantize(float* source, byte* block)
    {
        float id = QuantizingSteps.MinimumAndStep(source, 31, block, out float min);
        uint qh = 0;
        for (int j = 0; j < 16; j++)
        {
            // (x − min)·id lies in [0, 31] up to rounding, so adding ½ and truncating rounds it to 0..31.
            int lo = (int)((source[j] - min) * id + 0.5f);
            int hi = (int)((source[j + 16] - min) * id + 0.5f);
            block[QuantOffset + j] = (byte)((lo & 0x0F) | ((hi & 0x0F) << 4));
            qh |= (uint)((lo >> 4) & 1) << j;
            qh |= (uint)((hi >> 4) & 1) << (j + 16);
        }
        Unsafe.WriteUnaligned(block + HighBitsOffset, qh);
    }

    public static float Dot(byte* weight, byte* activation)
    {
        sbyte* a = (sbyte*)(activation + BlockQ8_1.QuantOffset);
        int sum = 0;
        for (int j = 0; j < 32; j++)
            sum += Quant(weight, j) * a[j];
        return Fp16.Load(weight) * Fp16.Load(activation) * sum + Fp16.Load(weight + 2) * Fp16.Load(activation + 2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Dot128(byte* weight, byte* activation, Vector128<float> acc)
    {
        uint qh = Unsafe.ReadUnaligned<uint>(weight + HighBitsOffset);
        var raw = Vector128.Load(weight + QuantOffset);
        var a0 = Vector128.Load((sbyte*)(activation + BlockQ8_1.QuantOffset));
        var a1 = Vector128.Load((sbyte*)(activation + BlockQ8_1.QuantOffset + 16));
        var sum = Int8Dot.DotUS(Int8Dot.DotUS(default, Nibbles.Low(raw) | FifthBits.Bytes128(qh, 0), a0),
            Nibbles.High(raw) | FifthBits.Bytes128(qh, 16), a1);
        return BlockQ4_1.MinimumTerm128(weight, activation,
            Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(sum), Vector128.Create(Fp16.Load(weight) * Fp16.Load(activation)), acc));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Dot256<TDot>(byte* weight, byte* activation, Vector256<float> acc) where TDot : struct, IInt8Dot256
    {
        var raw = Vector128.Load(weight + QuantOffset);
        var q = Vector256.Create(Nibbles.Low(raw), Nibbles.High(raw)) | FifthBits.Bytes256(Unsafe.ReadUnaligned<uint>(weight + HighBitsOffset));
        var a = Vector256.Load((sbyte*)(activation + BlockQ8_1.QuantOffset));
        var sum = TDot.DotUS(default, q, a);
        return BlockQ4_1.MinimumTerm256(weight, activation,
            Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(sum), Vector256.Create(Fp16.Load(weight) * Fp16.Load(activation)), acc));
    }
}
