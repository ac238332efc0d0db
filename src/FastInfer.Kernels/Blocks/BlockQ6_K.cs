using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks.Simd;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Blocks;

/// <summary>
/// ggml block_q6_K: ql[128] (low 4 bits), qh[64] (high 2 bits), int8 scales[16] (one per 16 elements), fp16 d.
/// Each half of 128 elements uses 64 ql bytes and 32 qh bytes; its quarter k (32 elements, l &lt; 32) takes a nibble
/// of ql (see <see cref="Quant"/>) and bits 2k..2k+1 of qh[l]. x = d·scale·(q − 32).
/// </summary>
public readonly unsafe struct BlockQ6_K : IQuantizableBlock, IIntegerDotBlock<BlockQ8_K>
{
    private const int HighOffset = 128, ScaleOffset = 192, DOffset = 208;
    public static GgmlType Type => GgmlType.Q6_K;
    public static int Elements => 256;
    public static int Bytes => 128 + 64 + 16 + 2;

    /// <summary>The unsigned 6-bit quant (0..63) of element <paramref name="i"/>: within each half, quarter k takes
    /// ql[l] (k = 0, 2) or ql[l+32] (k = 1, 3), low nibble for k &lt; 2 and high for k ≥ 2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Quant(byte* block, int i)
    {
        int half = i >> 7, k = (i >> 5) & 3, l = i & 31;
        byte low = block[half * 64 + (k & 1) * 32 + l];
        int nibble = k < 2 ? low & 0x0F : low >> 4;
        return nibble | (((block[HighOffset + half * 32 + l] >> (2 * k)) & 3) << 4);
    }

    private static sbyte* Scales(byte* block) => (sbyte*)(block + ScaleOffset);

    public static void Dequantize(byte* block, float* destination)
    {
        float d = Fp16.Load(block + DOffset);
        sbyte* sc = Scales(block);
        for (int i = 0; i < 256; i++)
            destination[i] = d * sc[i >> 4] * (Quant(block, i) - 32);
    }

    /// <summary>
    /// Per 16-element group a signed step = (value of largest magnitude)/−32, so q − 32 spans [−32, 31] with the extreme
    /// on the −32 side; the sixteen steps are quantized to int8 against d = max|step|/127, then quants recomputed.
    /// </summary>
    public static void Quantize(float* source, byte* block)
    {
        Span<float> step = stackalloc float[16];
        float maxStep = QuantizingSteps.SignedGroupSteps(source, 32, step);
        ushort dHalf = Fp16.FloatToHalf(maxStep / 127f);
        float d = Fp16.HalfToFloat(dHalf);
        Unsafe.WriteUnaligned(block + DOffset, dHalf);
        new Span<byte>(block, 192).Clear();
        for (int g = 0; g < 16; g++)
            block[ScaleOffset + g] = (byte)(sbyte)(d > 0 ? Math.Clamp((int)MathF.Round(step[g] / d), -127, 127) : 0);
        sbyte* sc = Scales(block);
        for (int i = 0; i < 256; i++)
        {
            float groupStep = d * sc[i >> 4];
            int q = groupStep != 0 ? Math.Clamp((int)MathF.Round(source[i] / groupStep) + 32, 0, 63) : 32;
            int half = i >> 7, k = (i >> 5) & 3, l = i & 31;
            block[half * 64 + (k & 1) * 32 + l] |= (byte)(k < 2 ? q & 0x0F : (q & 0x0F) << 4);
            block[HighOffset + half * 32 + l] |= (byte)((q >> 4) << (2 * k));
        }
    }

    public static float Dot(byte* weight, byte* activation)
    {
        sbyte* sc = Scales(weight);
        sbyte* a = BlockQ8_K.Quants(activation);
        int sum = 0;
        for (int g = 0; g < 16; g++)
        {
            int group = 0;
            for (int i = g * 16; i < g * 16 + 16; i++)
                group += (Quant(weight, i) - 32) * a[i];
            sum += sc[g] * group;
        }
        return BlockQ8_K.Scale(activation) * Fp16.Load(weight + DOffset) * sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Dot128(byte* weight, byte* activation, Vector128<float> acc)
    {
        sbyte* sc = Scales(weight);
        sbyte* a = BlockQ8_K.Quants(activation);
        var sum = Vector128<int>.Zero;
        for (int half = 0; half < 2; half++)
        {
            byte* ql = weight + half * 64;
            byte* qh = weight + HighOffset + half * 32;
            for (int part = 0; part < 2; part++) // 16 of the 32 l positions at a time
            {
                var h = Vector128.Load(qh + 16 * part);
                var l0 = Vector128.Load(ql + 16 * part);
                var l1 = Vector128.Load(ql + 32 + 16 * part);
                sbyte* ap = a + half * 128 + 16 * part;
                int g = half * 8 + part; // scale index of quarter 0 at this part
                sum += Int8Dot.DotUS(default, Nibbles.Low(l0) | Nibbles.Field(h, 0, 3, 4), Vector128.Load(ap)) * sc[g];
                sum += Int8Dot.DotUS(default, Nibbles.Low(l1) | Nibbles.Field(h, 2, 3, 4), Vector128.Load(ap + 32)) * sc[g + 2];
                sum += Int8Dot.DotUS(default, Nibbles.High(l0) | Nibbles.Field(h, 4, 3, 4), Vector128.Load(ap + 64)) * sc[g + 4];
                sum += Int8Dot.DotUS(default, Nibbles.High(l1) | Nibbles.Field(h, 6, 3, 4), Vector128.Load(ap + 96)) * sc[g + 6];
            }
        }
        sum -= Vector128.CreateScalar(32 * BlockQ8_K.ScaledGroupSums(sc, activation)); // the −32 offset, once per block
        float d = BlockQ8_K.Scale(activation) * Fp16.Load(weight + DOffset);
        return Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(sum), Vector128.Create(d), acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Dot256<TDot>(byte* weight, byte* activation, Vector256<float> acc) where TDot : struct, IInt8Dot256
    {
        sbyte* sc = Scales(weight);
        sbyte* a = BlockQ8_K.Quants(activation);
        var sum = Vector256<int>.Zero;
        for (int half = 0; half < 2; half++)
        {
            var h = Vector256.Load(weight + HighOffset + half * 32);
            var l0 = Vector256.Load(weight + half * 64);
            var l1 = Vector256.Load(weight + half * 64 + 32);
            sbyte* ap = a + half * 128;
            // The half's eight scales, one per int32 lane, cut to their low (sign-extended) 16 bits so that vpmaddwd
            // multiplies a dot lane by its scale and the lane's sign word by zero. A dot lane sums four products of at
            // most 63·127, which fits 16 bits.
            var s = Avx2.ConvertToVector256Int32(sc + half * 8) & Vector256.Create(0xFFFF);
            // Lanes 0–3 cover l < 16 and lanes 4–7 l ≥ 16: two scales per 32-element quarter.
            sum += Scaled(TDot.DotUS(default, Nibbles.Low(l0) | Nibbles.Field(h, 0, 3, 4), Vector256.Load(ap)), s, 0);
            sum += Scaled(TDot.DotUS(default, Nibbles.Low(l1) | Nibbles.Field(h, 2, 3, 4), Vector256.Load(ap + 32)), s, 2);
            sum += Scaled(TDot.DotUS(default, Nibbles.High(l0) | Nibbles.Field(h, 4, 3, 4), Vector256.Load(ap + 64)), s, 4);
            sum += Scaled(TDot.DotUS(default, Nibbles.High(l1) | Nibbles.Field(h, 6, 3, 4), Vector256.Load(ap + 96)), s, 6);
        }
        // The −32 offset: 32·Σ scale_g·(activation sum of g), as lanes (vpmaddwd of scales and group sums).
        var scales16 = Avx2.ConvertToVector256Int16(Vector128.Load(sc));
        sum -= Vector256.ShiftLeft(Avx2.MultiplyAddAdjacent(scales16, Vector256.Load((short*)(activation + BlockQ8_K.SumOffset))), 5);
        float d = BlockQ8_K.Scale(activation) * Fp16.Load(weight + DOffset);
        return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(sum), Vector256.Create(d), acc);
    }

    /// <summary>Dot lanes 0–3 times scale <paramref name="first"/> and lanes 4–7 times the next one, the scales picked
    /// from <paramref name="scales"/> by vpermd.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Scaled(Vector256<int> dot, Vector256<int> scales, int first)
        => Avx2.MultiplyAddAdjacent(dot.AsInt16(),
            Avx2.PermuteVar8x32(scales, Vector256.Create(first, first, first, first, first + 1, first + 1, first + 1, first + 1)).AsInt16());
}
