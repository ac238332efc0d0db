using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks.Simd;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Blocks;

/// <summary>ggml block_q4_0: fp16 d, qs[16] (element j in the low nibble of byte j, element j+16 in its high nibble); x = d·(q−8).</summary>
public readonly unsafe struct BlockQ4_0 : IQuantizableBlock, ITokenTileBlock<BlockQ8_0>
{
    public static GgmlType Type => GgmlType.Q4_0;
    public static int Elements => 32;
    public static int Bytes => 2 + 16;

    public static void Dequantize(byte* block, float* destination)
    {
        float d = Fp16.Load(block);
        for (int j = 0; j < 16; j++)
        {
            destination[j] = ((block[2 + j] & 0x0F) - 8) * d;
            destination[j + 16] = ((block[2 + j] >> 4) - 8) * d;
        }
    }

    /// <summary>ggml's reference: the signed value of largest magnitude maps to −8, the full 4-bit range on that side.</summary>
    public static void Quantize(float* source, byte* block)
    {
        float max = QuantizingSteps.SignedExtreme(source, 32);
        float d = max / -8f;
        float id = d != 0 ? 1f / d : 0f;
        Unsafe.WriteUnaligned(block, Fp16.FloatToHalf(d));
        for (int j = 0; j < 16; j++)
        {
            int lo = Math.Min(15, (int)(sbyte)(source[j] * id + 8.5f));
            int hi = Math.Min(15, (int)(sbyte)(source[j + 16] * id + 8.5f));
            block[2 + j] = (byte)(lo | (hi << 4));
        }
    }

    public static float Dot(byte* weight, byte* activation)
    {
        sbyte* a = (sbyte*)(activation + 2);
        int sum = 0;
        for (int j = 0; j < 16; j++)
            sum += ((weight[2 + j] & 0x0F) - 8) * a[j] + ((weight[2 + j] >> 4) - 8) * a[j + 16];
        return Fp16.Load(weight) * Fp16.Load(activation) * sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Dot128(byte* weight, byte* activation, Vector128<float> acc)
    {
        var raw = Vector128.Load(weight + 2);
        var eight = Vector128.Create((sbyte)8);
        var sum = Int8Dot.DotSS(Vector128<int>.Zero, Nibbles.Low(raw).AsSByte() - eight, Vector128.Load((sbyte*)(activation + 2)));
        sum = Int8Dot.DotSS(sum, Nibbles.High(raw).AsSByte() - eight, Vector128.Load((sbyte*)(activation + 18)));
        return Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(sum), Vector128.Create(Fp16.Load(weight) * Fp16.Load(activation)), acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Dot256<TDot>(byte* weight, byte* activation, Vector256<float> acc) where TDot : struct, IInt8Dot256
    {
        var raw = Vector128.Load(weight + 2);
        var q = Vector256.Create(Nibbles.Low(raw), Nibbles.High(raw)).AsSByte() - Vector256.Create((sbyte)8);
        var sum = Int8Dot.DotSS<TDot>(Vector256<int>.Zero, q, Vector256.Load((sbyte*)(activation + 2)));
        return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(sum), Vector256.Create(Fp16.Load(weight) * Fp16.Load(activation)), acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot256x4<TDot>(byte* weight, byte* a0, byte* a1, byte* a2, byte* a3,
        ref Vector256<float> c0, ref Vector256<float> c1, ref Vector256<float> c2, ref Vector256<float> c3)
        where TDot : struct, IInt8Dot256
    {
        var raw = Vector128.Load(weight + 2);
        var w = Vector256.Create(Nibbles.Low(raw), Nibbles.High(raw)).AsSByte() - Vector256.Create((sbyte)8);
        var magnitude = Avx2.Sign(w, w).AsByte();
        float d = Fp16.Load(weight);
        c0 = BlockQ8_0.SignedStep<TDot>(magnitude, w, a0, d, c0);
        c1 = BlockQ8_0.SignedStep<TDot>(magnitude, w, a1, d, c1);
        c2 = BlockQ8_0.SignedStep<TDot>(magnitude, w, a2, d, c2);
        c3 = BlockQ8_0.SignedStep<TDot>(magnitude, w, a3, d, c3);
    }
}
