using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks.Simd;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Blocks;

/// <summary>
/// ggml block_q4_1: fp16 d, fp16 m, qs[16] (nibbles as in Q4_0); x = d·q + m. Against Q8_1 activations, as in ggml:
/// d·da·Σq·a + m·s, s the activation block's d·Σa (<see cref="BlockQ8_1"/>).
/// </summary>
public readonly unsafe struct BlockQ4_1 : IQuantizableBlock, IIntegerDotBlock<BlockQ8_1>
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
        float id = QuantizingSteps.MinimumAndStep(source, 15, block, out float min);
        for (int j = 0; j < 16; j++)
        {
            int lo = Math.Min(15, (int)((source[j] - min) * id + 0.5f));
            int hi = Math.Min(15, (int)((source[j + 16] - min) * id + 0.5f));
            block[4 + j] = (byte)(lo | (hi << 4));
        }
    }

    public static float Dot(byte* weight, byte* activation)
    {
        sbyte* a = (sbyte*)(activation + BlockQ8_1.QuantOffset);
        int sum = 0;
        for (int j = 0; j < 16; j++)
            sum += (weight[4 + j] & 0x0F) * a[j] + (weight[4 + j] >> 4) * a[j + 16];
        return Fp16.Load(weight) * Fp16.Load(activation) * sum + Fp16.Load(weight + 2) * Fp16.Load(activation + 2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Dot128(byte* weight, byte* activation, Vector128<float> acc)
    {
        var raw = Vector128.Load(weight + 4);
        var a0 = Vector128.Load((sbyte*)(activation + BlockQ8_1.QuantOffset));
        var a1 = Vector128.Load((sbyte*)(activation + BlockQ8_1.QuantOffset + 16));
        var sum = Int8Dot.DotUS(Int8Dot.DotUS(default, Nibbles.Low(raw), a0), Nibbles.High(raw), a1);
        return MinimumTerm128(weight, activation,
            Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(sum), Vector128.Create(Fp16.Load(weight) * Fp16.Load(activation)), acc));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Dot256<TDot>(byte* weight, byte* activation, Vector256<float> acc) where TDot : struct, IInt8Dot256
    {
        var raw = Vector128.Load(weight + 4);
        var a = Vector256.Load((sbyte*)(activation + BlockQ8_1.QuantOffset));
        var sum = TDot.DotUS(default, Vector256.Create(Nibbles.Low(raw), Nibbles.High(raw)), a);
        return MinimumTerm256(weight, activation,
            Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(sum), Vector256.Create(Fp16.Load(weight) * Fp16.Load(activation)), acc));
    }

    /// <summary>m·s added to lane 0 only, so the lanes' sum carries it once (the lanes are summed at the row's end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> MinimumTerm128(byte* weight, byte* activation, Vector128<float> acc)
        => acc + Vector128.CreateScalar(Fp16.Load(weight + 2) * Fp16.Load(activation + 2));

    /// <inheritdoc cref="MinimumTerm128"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> MinimumTerm256(byte* weight, byte* activation, Vector256<float> acc)
        => acc + Vector256.CreateScalar(Fp16.Load(weight + 2) * Fp16.Load(activation + 2));
}
