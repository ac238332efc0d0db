using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks.Simd;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Blocks;

/// <summary>
/// ggml block_q4_1: fp16 d, fp16 m, qs[16] (nibbles as in Q4_0); x = d·q + m. Against Q8_0 activations the offset
/// needs the activation block's sum: d·da·Σq·a + m·da·Σa.
/// </summary>
public readonly unsafe struct BlockQ4_1 : IQuantizableBlock, IIntegerDotBlock<BlockQ8_0>
{
    public static GgmlType Type => GgmlType.Q4_1;
    public static int Elements => 32;
    public static int Bytes => 2 + 2 + 16;

    public static void Dequantize(byte* block, float* destination)
    {
        float d = Fp16.Load(block), m = Fp16.Load(block + 2);
        for (int j = 0; j < 16; j++)
        {
            destination[j] = (block[4 + j] & 0x0F) * d + m;
            destination[j + 16] = (block[4 + j] >> 4) * d + m;
        }
    }

    /// <summary>ggml's reference: 16 levels spanning [min, max].</summary>
    public static void Quantize(float* source, byte* block)
    {
        float min = float.MaxValue, max = float.MinValue;
        for (int j = 0; j < 32; j++)
        {
            min = MathF.Min(min, source[j]);
            max = MathF.Max(max, source[j]);
        }
        float d = (max - min) / 15f;
        float id = d != 0 ? 1f / d : 0f;
        Unsafe.WriteUnaligned(block, Fp16.FloatToHalf(d));
        Unsafe.WriteUnaligned(block + 2, Fp16.FloatToHalf(min));
        for (int j = 0; j < 16; j++)
        {
            int lo = Math.Min(15, (int)((source[j] - min) * id + 0.5f));
            int hi = Math.Min(15, (int)((source[j + 16] - min) * id + 0.5f));
            block[4 + j] = (byte)(lo | (hi << 4));
        }
    }

    public static float Dot(byte* weight, byte* activation)
    {
        sbyte* a = (sbyte*)(activation + 2);
        int sum = 0, sumA = 0;
        for (int j = 0; j < 16; j++)
        {
            sum += (weight[4 + j] & 0x0F) * a[j] + (weight[4 + j] >> 4) * a[j + 16];
            sumA += a[j] + a[j + 16];
        }
        float da = Fp16.Load(activation);
        return Fp16.Load(weight) * da * sum + Fp16.Load(weight + 2) * da * sumA;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Dot128(byte* weight, byte* activation, Vector128<float> acc)
    {
        var raw = Vector128.Load(weight + 4);
        var a0 = Vector128.Load((sbyte*)(activation + 2));
        var a1 = Vector128.Load((sbyte*)(activation + 18));
        var sum = Int8Dot.DotUS(Int8Dot.DotUS(default, Nibbles.Low(raw), a0), Nibbles.High(raw), a1);
        var ones = Vector128.Create((byte)1);
        var sumA = Int8Dot.DotUS(Int8Dot.DotUS(default, ones, a0), ones, a1);
        float da = Fp16.Load(activation);
        acc = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(sum), Vector128.Create(Fp16.Load(weight) * da), acc);
        return Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(sumA), Vector128.Create(Fp16.Load(weight + 2) * da), acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Dot256<TDot>(byte* weight, byte* activation, Vector256<float> acc) where TDot : struct, IInt8Dot256
    {
        var raw = Vector128.Load(weight + 4);
        var a = Vector256.Load((sbyte*)(activation + 2));
        var sum = TDot.DotUS(default, Vector256.Create(Nibbles.Low(raw), Nibbles.High(raw)), a);
        var sumA = TDot.DotUS(default, Vector256.Create((byte)1), a);
        float da = Fp16.Load(activation);
        acc = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(sum), Vector256.Create(Fp16.Load(weight) * da), acc);
        return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(sumA), Vector256.Create(Fp16.Load(weight + 2) * da), acc);
    }
}
