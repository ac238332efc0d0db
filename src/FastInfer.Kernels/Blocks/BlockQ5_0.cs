using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks.Simd;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Blocks;

/// <summary>
/// ggml block_q5_0: fp16 d, qh (32 bits, little-endian: bit j is the fifth bit of element j), qs[16] (nibbles as in
/// Q4_0); x = d·(q − 16).
/// </summary>
public readonly unsafe struct BlockQ5_0 : IQuantizableBlock, IIntegerDotBlock<BlockQ8_0>
{
    public static GgmlType Type => GgmlType.Q5_0;
    public static int Elements => 32;
    public static int Bytes => 2 + 4 + 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Quant(byte* block, int j)
    {
        uint qh = Unsafe.ReadUnaligned<uint>(block + 2);
        int nibble = j < 16 ? block[6 + j] & 0x0F : block[6 + j - 16] >> 4;
        return (nibble | (int)(((qh >> j) & 1) << 4)) - 16;
    }

    public static void Dequantize(byte* block, float* destination)
    {
        float d = Fp16.Load(block);
        for (int j = 0; j < 32; j++)
            destination[j] = Quant(block, j) * d;
    }

    /// <summary>ggml's reference: as Q4_0 with 32 levels, the largest magnitude mapping to −16.</summary>
    public static void Quantize(float* source, byte* block)
    {
        float max = QuantizingSteps.SignedExtreme(source, 32);
        float d = max / -16f;
        float id = d != 0 ? 1f / d : 0f;
        Unsafe.WriteUnaligned(block, Fp16.FloatToHalf(d));
        uint qh = 0;
        for (int j = 0; j < 16; j++)
        {
            int lo = Math.Min(31, (int)(sbyte)(source[j] * id + 16.5f));
            int hi = Math.Min(31, (int)(sbyte)(source[j + 16] * id + 16.5f));
            block[6 + j] = (byte)((lo & 0x0F) | ((hi & 0x0F) << 4));
            qh |= (uint)((lo >> 4) & 1) << j;
            qh |= (uint)((hi >> 4) & 1) << (j + 16);
        }
        Unsafe.WriteUnaligned(block + 2, qh);
    }

    public static float Dot(byte* weight, byte* activation)
    {
        sbyte* a = (sbyte*)(activation + 2);
        int sum = 0;
        for (int j = 0; j < 32; j++)
            sum += Quant(weight, j) * a[j];
        return Fp16.Load(weight) * Fp16.Load(activation) * sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Dot128(byte* weight, byte* activation, Vector128<float> acc)
    {
        uint qh = Unsafe.ReadUnaligned<uint>(weight + 2);
        var raw = Vector128.Load(weight + 6);
        var sixteen = Vector128.Create((sbyte)16);
        var lo = (Nibbles.Low(raw) | FifthBits.Bytes128(qh, 0)).AsSByte() - sixteen;
        var hi = (Nibbles.High(raw) | FifthBits.Bytes128(qh, 16)).AsSByte() - sixteen;
        var sum = Int8Dot.DotSS(Int8Dot.DotSS(default, lo, Vector128.Load((sbyte*)(activation + 2))), hi, Vector128.Load((sbyte*)(activation + 18)));
        return Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(sum), Vector128.Create(Fp16.Load(weight) * Fp16.Load(activation)), acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Dot256<TDot>(byte* weight, byte* activation, Vector256<float> acc) where TDot : struct, IInt8Dot256
    {
        var high = FifthBits.Bytes256(Unsafe.ReadUnaligned<uint>(weight + 2));
        var raw = Vector128.Load(weight + 6);
        var q = (Vector256.Create(Nibbles.Low(raw), Nibbles.High(raw)) | high).AsSByte() - Vector256.Create((sbyte)16);
        var sum = Int8Dot.DotSS<TDot>(default, q, Vector256.Load((sbyte*)(activation + 2)));
        return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(sum), Vector256.Create(Fp16.Load(weight) * Fp16.Load(activation)), acc);
    }
}
