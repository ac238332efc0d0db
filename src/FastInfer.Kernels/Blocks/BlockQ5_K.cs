using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks.Simd;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Blocks;

/// <summary>
/// ggml block_q5_K: fp16 d, fp16 dmin, 12 bytes of 6-bit scales/mins (<see cref="KScales"/>), qh[32], qs[128].
/// Like Q4_K, plus a fifth bit: element 64i+l (l &lt; 32) takes bit 2i of qh[l], element 64i+32+l bit 2i+1.
/// </summary>
public readonly unsafe struct BlockQ5_K : IIntegerDotBlock<BlockQ8_K>
{
    private const int HighOffset = 16, QuantOffset = 48;
    public static GgmlType Type => GgmlType.Q5_K;
    public static int Elements => 256;
    public static int Bytes => 2 + 2 + 12 + 32 + 128;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Quant(byte* block, int i)
    {
        int l = i & 31, pair = i >> 6, upper = (i >> 5) & 1;
        byte packed = block[QuantOffset + pair * 32 + l];
        int low = upper == 0 ? packed & 0x0F : packed >> 4;
        return low | (((block[HighOffset + l] >> (2 * pair + upper)) & 1) << 4);
    }

    public static void Dequantize(byte* block, float* destination)
    {
        var s = KScales.Unpack(block + 4);
        float d = Fp16.Load(block), dmin = Fp16.Load(block + 2);
        for (int i = 0; i < 256; i++)
            destination[i] = d * s.Scale[i >> 5] * Quant(block, i) - dmin * s.Min[i >> 5];
    }

    public static float Dot(byte* weight, byte* activation)
    {
        var s = KScales.Unpack(weight + 4);
        sbyte* a = BlockQ8_K.Quants(activation);
        int sum = 0;
        for (int g = 0; g < 8; g++)
        {
            int group = 0;
            for (int i = g * 32; i < g * 32 + 32; i++)
                group += Quant(weight, i) * a[i];
            sum += s.Scale[g] * group;
        }
        float da = BlockQ8_K.Scale(activation);
        return da * (Fp16.Load(weight) * sum - Fp16.Load(weight + 2) * s.MinTimesSums(activation));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Dot128(byte* weight, byte* activation, Vector128<float> acc)
    {
        var s = KScales.Unpack(weight + 4);
        byte* q = weight + QuantOffset;
        sbyte* a = BlockQ8_K.Quants(activation);
        var h0 = Vector128.Load(weight + HighOffset);
        var h1 = Vector128.Load(weight + HighOffset + 16);
        var sum = Vector128<int>.Zero;
        for (int j = 0; j < 4; j++, q += 32, a += 64)
        {
            var raw0 = Vector128.Load(q);
            var raw1 = Vector128.Load(q + 16);
            var lo = Int8Dot.DotUS(default, Nibbles.Low(raw0) | Nibbles.Field(h0, 2 * j, 1, 4), Vector128.Load(a));
            lo = Int8Dot.DotUS(lo, Nibbles.Low(raw1) | Nibbles.Field(h1, 2 * j, 1, 4), Vector128.Load(a + 16));
            var hi = Int8Dot.DotUS(default, Nibbles.High(raw0) | Nibbles.Field(h0, 2 * j + 1, 1, 4), Vector128.Load(a + 32));
            hi = Int8Dot.DotUS(hi, Nibbles.High(raw1) | Nibbles.Field(h1, 2 * j + 1, 1, 4), Vector128.Load(a + 48));
            sum += lo * s.Scale[2 * j] + hi * s.Scale[2 * j + 1];
        }
        float da = BlockQ8_K.Scale(activation);
        acc = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(sum), Vector128.Create(da * Fp16.Load(weight)), acc);
        return acc + Vector128.CreateScalar(-da * Fp16.Load(weight + 2) * s.MinTimesSums(activation));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Dot256<TDot>(byte* weight, byte* activation, Vector256<float> acc) where TDot : struct, IInt8Dot256
    {
        var s = KScales.Unpack(weight + 4);
        byte* q = weight + QuantOffset;
        sbyte* a = BlockQ8_K.Quants(activation);
        var h = Vector256.Load(weight + HighOffset);
        var sum = Vector256<int>.Zero;
        for (int j = 0; j < 4; j++, q += 32, a += 64)
        {
            var raw = Vector256.Load(q);
            var lo = TDot.DotUS(default, Nibbles.Low(raw) | Nibbles.Field(h, 2 * j, 1, 4), Vector256.Load(a));
            var hi = TDot.DotUS(default, Nibbles.High(raw) | Nibbles.Field(h, 2 * j + 1, 1, 4), Vector256.Load(a + 32));
            sum += lo * s.Scale[2 * j] + hi * s.Scale[2 * j + 1];
        }
        float da = BlockQ8_K.Scale(activation);
        acc = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(sum), Vector256.Create(da * Fp16.Load(weight)), acc);
        return acc + Vector256.CreateScalar(-da * Fp16.Load(weight + 2) * s.MinTimesSums(activation));
    }
}
