using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks.Simd;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Blocks;

/// <summary>
/// ggml block_q4_K: fp16 d, fp16 dmin, 12 bytes of 6-bit scales/mins (<see cref="KScales"/>), qs[128]. Eight groups of
/// 32; group 2i takes the low nibbles of qs[32i..32i+32), group 2i+1 the high nibbles. x = d·scale·q − dmin·min.
/// </summary>
public readonly unsafe struct BlockQ4_K : IQuantizableBlock, IIntegerDotBlock<BlockQ8_K>
{
    private const int QuantOffset = 16;
    public static GgmlType Type => GgmlType.Q4_K;
    public static int Elements => 256;
    public static int Bytes => 2 + 2 + 12 + 128;

    /// <summary>The 4-bit quant of element <paramref name="i"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Quant(byte* block, int i)
    {
        byte packed = block[QuantOffset + (i >> 6) * 32 + (i & 31)];
        return (i & 32) == 0 ? packed & 0x0F : packed >> 4;
    }

    public static void Dequantize(byte* block, float* destination)
    {
        var s = KScales.Unpack(block + 4);
        float d = Fp16.Load(block), dmin = Fp16.Load(block + 2);
        for (int i = 0; i < 256; i++)
            destination[i] = d * s.Scale[i >> 5] * Quant(block, i) - dmin * s.Min[i >> 5];
    }

    /// <summary>
    /// Per group: the range [min(0, lo), hi] over 16 levels; then the eight scales and mins are themselves quantized to
    /// 6 bits against d and dmin, and the quants recomputed against the rounded scales so each value's error stays near
    /// half a step. (ggml refines further with a search; this simple form is valid and close.)
    /// </summary>
    public static void Quantize(float* source, byte* block)
    {
        Span<float> scale = stackalloc float[8], offset = stackalloc float[8];
        Span<byte> sc = stackalloc byte[8], mn = stackalloc byte[8];
        KQuantizing.GroupRanges(source, 32, 15, scale, offset);
        float d = KQuantizing.SixBitScales(scale, sc, out ushort dHalf);
        float dmin = KQuantizing.SixBitScales(offset, mn, out ushort dminHalf);
        Unsafe.WriteUnaligned(block, dHalf);
        Unsafe.WriteUnaligned(block + 2, dminHalf);
        KScales.Pack(sc, mn, block + 4);
        new Span<byte>(block + QuantOffset, 128).Clear();
        for (int i = 0; i < 256; i++)
        {
            int g = i >> 5;
            int q = KQuantizing.Level(source[i] + dmin * mn[g], d * sc[g], 15);
            block[QuantOffset + (i >> 6) * 32 + (i & 31)] |= (byte)((i & 32) == 0 ? q : q << 4);
        }
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
        var sum = Vector128<int>.Zero;
        for (int j = 0; j < 4; j++, q += 32, a += 64)
        {
            var raw0 = Vector128.Load(q);
            var raw1 = Vector128.Load(q + 16);
            var lo = Int8Dot.DotUS(Int8Dot.DotUS(default, Nibbles.Low(raw0), Vector128.Load(a)), Nibbles.Low(raw1), Vector128.Load(a + 16));
            var hi = Int8Dot.DotUS(Int8Dot.DotUS(default, Nibbles.High(raw0), Vector128.Load(a + 32)), Nibbles.High(raw1), Vector128.Load(a + 48));
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
        var sum = Vector256<int>.Zero;
        for (int j = 0; j < 4; j++, q += 32, a += 64)
        {
            var raw = Vector256.Load(q);
            var lo = TDot.DotUS(default, Nibbles.Low(raw), Vector256.Load(a));
            var hi = TDot.DotUS(default, Nibbles.High(raw), Vector256.Load(a + 32));
            sum += lo * s.Scale[2 * j] + hi * s.Scale[2 * j + 1];
        }
        float da = BlockQ8_K.Scale(activation);
        acc = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(sum), Vector256.Create(da * Fp16.Load(weight)), acc);
        return acc + Vector256.CreateScalar(-da * Fp16.Load(weight + 2) * s.MinTimesSums(activation));
    }
}
