using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks.Simd;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Blocks;

/// <summary>
/// ggml block_q2_K: scales[16] (low nibble: scale, high nibble: min, one pair per 16 elements), qs[64] (2-bit quants),
/// fp16 d, fp16 dmin. Element 128n+32j+16s+l takes bits 2j..2j+1 of qs[32n+16s+l]; x = d·scale·q − dmin·min.
/// </summary>
public readonly unsafe struct BlockQ2_K : IQuantizableBlock, IIntegerDotBlock<BlockQ8_K>
{
    private const int QuantOffset = 16, DOffset = 80, DminOffset = 82;
    public static GgmlType Type => GgmlType.Q2_K;
    public static int Elements => 256;
    public static int Bytes => 16 + 64 + 2 + 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Quant(byte* block, int i)
        => (block[QuantOffset + 32 * (i >> 7) + (i & 31)] >> (2 * ((i >> 5) & 3))) & 3;

    public static void Dequantize(byte* block, float* destination)
    {
        float d = Fp16.Load(block + DOffset), dmin = Fp16.Load(block + DminOffset);
        for (int i = 0; i < 256; i++)
        {
            int sm = block[i >> 4];
            destination[i] = d * (sm & 0x0F) * Quant(block, i) - dmin * (sm >> 4);
        }
    }

    /// <summary>
    /// Per 16 elements: the range [min(0, lo), hi] over 3 steps; scales and mins quantized to 4 bits against d and dmin
    /// (a simple form of ggml's search), quants recomputed against the rounded values.
    /// </summary>
    public static void Quantize(float* source, byte* block)
    {
        Span<float> step = stackalloc float[16], offset = stackalloc float[16];
        QuantizingSteps.GroupRanges(source, 16, 3, step, offset);
        float maxStep = 0, maxOffset = 0;
        for (int g = 0; g < 16; g++)
        {
            maxStep = MathF.Max(maxStep, step[g]);
            maxOffset = MathF.Max(maxOffset, offset[g]);
        }
        ushort dHalf = Fp16.FloatToHalf(maxStep / 15), dminHalf = Fp16.FloatToHalf(maxOffset / 15);
        float d = Fp16.HalfToFloat(dHalf), dmin = Fp16.HalfToFloat(dminHalf);
        Unsafe.WriteUnaligned(block + DOffset, dHalf);
        Unsafe.WriteUnaligned(block + DminOffset, dminHalf);
        for (int g = 0; g < 16; g++)
            block[g] = (byte)(QuantizingSteps.Level(step[g], d, 15) | (QuantizingSteps.Level(offset[g], dmin, 15) << 4));
        new Span<byte>(block + QuantOffset, 64).Clear();
        for (int i = 0; i < 256; i++)
        {
            int sm = block[i >> 4];
            int q = QuantizingSteps.Level(source[i] + dmin * (sm >> 4), d * (sm & 0x0F), 3);
            block[QuantOffset + 32 * (i >> 7) + (i & 31)] |= (byte)(q << (2 * ((i >> 5) & 3)));
        }
    }

    public static float Dot(byte* weight, byte* activation)
    {
        sbyte* a = BlockQ8_K.Quants(activation);
        int sum = 0, mins = 0;
        for (int g = 0; g < 16; g++)
        {
            int group = 0;
            for (int i = g * 16; i < g * 16 + 16; i++)
                group += Quant(weight, i) * a[i];
            sum += (weight[g] & 0x0F) * group;
            mins += (weight[g] >> 4) * BlockQ8_K.GroupSum(activation, g);
        }
        float da = BlockQ8_K.Scale(activation);
        return da * (Fp16.Load(weight + DOffset) * sum - Fp16.Load(weight + DminOffset) * mins);
    }

    /// <summary>Σ min_g·(activation sum of g) as an integer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int MinTimesSums(byte* weight, byte* activation)
    {
        int mins = 0;
        for (int g = 0; g < 16; g++)
            mins += (weight[g] >> 4) * BlockQ8_K.GroupSum(activation, g);
        return mins;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Dot128(byte* weight, byte* activation, Vector128<float> acc)
    {
        sbyte* a = BlockQ8_K.Quants(activation);
        var sum = Vector128<int>.Zero;
        for (int n = 0; n < 2; n++)
        {
            var raw0 = Vector128.Load(weight + QuantOffset + 32 * n);
            var raw1 = Vector128.Load(weight + QuantOffset + 32 * n + 16);
            for (int j = 0; j < 4; j++)
            {
                sbyte* ap = a + 128 * n + 32 * j;
                int g = 8 * n + 2 * j;
                sum += Int8Dot.DotUS(default, Nibbles.Field(raw0, 2 * j, 3, 0), Vector128.Load(ap)) * (weight[g] & 0x0F);
                sum += Int8Dot.DotUS(default, Nibbles.Field(raw1, 2 * j, 3, 0), Vector128.Load(ap + 16)) * (weight[g + 1] & 0x0F);
            }
        }
        float da = BlockQ8_K.Scale(activation);
        acc = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(sum), Vector128.Create(da * Fp16.Load(weight + DOffset)), acc);
        return acc + Vector128.CreateScalar(-da * Fp16.Load(weight + DminOffset) * MinTimesSums(weight, activation));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Dot256<TDot>(byte* weight, byte* activation, Vector256<float> acc) where TDot : struct, IInt8Dot256
    {
        sbyte* a = BlockQ8_K.Quants(activation);
        var scaleMin = Vector128.Load(weight);
        var scales = Avx2.ConvertToVector256Int32(Nibbles.Low(scaleMin)); // scales 0..7 as int32
        var scalesHigh = Avx2.ConvertToVector256Int32(Vector128.Shuffle(Nibbles.Low(scaleMin), Vector128.Create((byte)8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0)));
        var sum = Vector256<int>.Zero;
        for (int n = 0; n < 2; n++)
        {
            var raw = Vector256.Load(weight + QuantOffset + 32 * n);
            var s = n == 0 ? scales : scalesHigh;
            for (int j = 0; j < 4; j++)
            {
                // Lanes 0–3 are group 8n+2j, lanes 4–7 group 8n+2j+1.
                var groupScales = Avx2.PermuteVar8x32(s, Vector256.Create(2 * j, 2 * j, 2 * j, 2 * j, 2 * j + 1, 2 * j + 1, 2 * j + 1, 2 * j + 1));
                sum += TDot.DotUS(default, Nibbles.Field(raw, 2 * j, 3, 0), Vector256.Load(a + 128 * n + 32 * j)) * groupScales;
            }
        }
        var mins = Avx2.ConvertToVector256Int16(Nibbles.High(scaleMin));
        var minTerms = Avx2.MultiplyAddAdjacent(mins, Vector256.Load((short*)(activation + BlockQ8_K.SumOffset)));
        float da = BlockQ8_K.Scale(activation);
        acc = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(sum), Vector256.Create(da * Fp16.Load(weight + DOffset)), acc);
        return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(minTerms), Vector256.Create(-da * Fp16.Load(weight + DminOffset)), acc);
    }
}
