using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks.Simd;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Blocks;

/// <summary>
/// ggml block_q3_K: hmask[32], qs[64] (2-bit), scales[12] (sixteen 6-bit signed scales, offset by 32), fp16 d.
/// Element 128n+32j+l (l &lt; 32) takes bits 2j..2j+1 of qs[32n+l] and bit 4n+j of hmask[l]; a clear high bit
/// subtracts 4, so x = d·(scale−32)·(q2 + 4·h − 4) with scale index (element)/16.
/// </summary>
public readonly unsafe struct BlockQ3_K : IQuantizableBlock, IIntegerDotBlock<BlockQ8_K>
{
    private const int QuantOffset = 32, ScaleOffset = 96, DOffset = 108;
    public static GgmlType Type => GgmlType.Q3_K;
    public static int Elements => 256;
    public static int Bytes => 32 + 64 + 12 + 2;

    /// <summary>The unsigned 3-bit quant (0..7, the stored value plus 4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Quant(byte* block, int i)
    {
        int n = i >> 7, j = (i >> 5) & 3, l = i & 31;
        int low = (block[QuantOffset + 32 * n + l] >> (2 * j)) & 3;
        return low | (((block[l] >> (4 * n + j)) & 1) << 2);
    }

    /// <summary>
    /// The sixteen scales minus 32: scale k's low 4 bits are the low (k &lt; 8) or high (k ≥ 8) nibble of byte k mod 8,
    /// its top 2 bits sit in bytes 8–11 (byte 8 + k mod 4, bit pair k/4).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<sbyte> Scales(byte* block)
    {
        byte* s = block + ScaleOffset;
        uint a0 = Unsafe.ReadUnaligned<uint>(s), a1 = Unsafe.ReadUnaligned<uint>(s + 4), top = Unsafe.ReadUnaligned<uint>(s + 8);
        var words = Vector128.Create(
            (a0 & 0x0f0f0f0f) | ((top & 0x03030303) << 4),
            (a1 & 0x0f0f0f0f) | (((top >> 2) & 0x03030303) << 4),
            ((a0 >> 4) & 0x0f0f0f0f) | (((top >> 4) & 0x03030303) << 4),
            ((a1 >> 4) & 0x0f0f0f0f) | (((top >> 6) & 0x03030303) << 4));
        return words.AsSByte() - Vector128.Create((sbyte)32);
    }

    public static void Dequantize(byte* block, float* destination)
    {
        float d = Fp16.Load(block + DOffset);
        var scales = Scales(block);
        for (int i = 0; i < 256; i++)
            destination[i] = d * scales[i >> 4] * (Quant(block, i) - 4);
    }

    /// <summary>
    /// Per 16 elements a signed step = (value of largest magnitude)/−4 (levels −4..3); the sixteen steps are quantized
    /// to 6-bit signed scales against d = max|step|/32, then quants recomputed against the rounded steps.
    /// </summary>
    public static void Quantize(float* source, byte* block)
    {
        Span<float> step = stackalloc float[16];
        float maxStep = QuantizingSteps.SignedGroupSteps(source, 4, step);
        ushort dHalf = Fp16.FloatToHalf(maxStep / 32f);
        float d = Fp16.HalfToFloat(dHalf);
        Unsafe.WriteUnaligned(block + DOffset, dHalf);
        new Span<byte>(block, DOffset).Clear();
        Span<int> scale = stackalloc int[16];
        for (int k = 0; k < 16; k++)
        {
            scale[k] = d > 0 ? Math.Clamp((int)MathF.Round(step[k] / d), -32, 31) : 0;
            int u = scale[k] + 32;
            block[ScaleOffset + (k & 7)] |= (byte)((u & 0x0F) << (k < 8 ? 0 : 4));
            block[ScaleOffset + 8 + (k & 3)] |= (byte)((u >> 4) << (2 * (k >> 2)));
        }
        for (int i = 0; i < 256; i++)
        {
            float groupStep = d * scale[i >> 4];
            int q = groupStep != 0 ? Math.Clamp((int)MathF.Round(source[i] / groupStep) + 4, 0, 7) : 4;
            int n = i >> 7, j = (i >> 5) & 3, l = i & 31;
            block[QuantOffset + 32 * n + l] |= (byte)((q & 3) << (2 * j));
            block[l] |= (byte)((q >> 2) << (4 * n + j));
        }
    }

    public static float Dot(byte* weight, byte* activation)
    {
        var scales = Scales(weight);
        sbyte* a = BlockQ8_K.Quants(activation);
        int sum = 0;
        for (int g = 0; g < 16; g++)
        {
            int group = 0;
            for (int i = g * 16; i < g * 16 + 16; i++)
                group += (Quant(weight, i) - 4) * a[i];
            sum += scales[g] * group;
        }
        return BlockQ8_K.Scale(activation) * Fp16.Load(weight + DOffset) * sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Dot128(byte* weight, byte* activation, Vector128<float> acc)
    {
        var scales = Scales(weight);
        sbyte* a = BlockQ8_K.Quants(activation);
        var h0 = Vector128.Load(weight);
        var h1 = Vector128.Load(weight + 16);
        var sum = Vector128<int>.Zero;
        for (int n = 0; n < 2; n++)
        {
            var raw0 = Vector128.Load(weight + QuantOffset + 32 * n);
            var raw1 = Vector128.Load(weight + QuantOffset + 32 * n + 16);
            for (int j = 0; j < 4; j++)
            {
                sbyte* ap = a + 128 * n + 32 * j;
                int g = 8 * n + 2 * j;
                var q0 = Nibbles.Field(raw0, 2 * j, 3, 0) | Nibbles.Field(h0, 4 * n + j, 1, 2);
                var q1 = Nibbles.Field(raw1, 2 * j, 3, 0) | Nibbles.Field(h1, 4 * n + j, 1, 2);
                sum += Int8Dot.DotUS(default, q0, Vector128.Load(ap)) * scales[g];
                sum += Int8Dot.DotUS(default, q1, Vector128.Load(ap + 16)) * scales[g + 1];
            }
        }
        sum -= Vector128.CreateScalar(4 * BlockQ8_K.ScaledGroupSums((sbyte*)&scales, activation)); // the −4 offset, once per block
        float d = BlockQ8_K.Scale(activation) * Fp16.Load(weight + DOffset);
        return Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(sum), Vector128.Create(d), acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Dot256<TDot>(byte* weight, byte* activation, Vector256<float> acc) where TDot : struct, IInt8Dot256
    {
        var scales = Scales(weight);
        var scales32Low = Avx2.ConvertToVector256Int32(scales);
        var scales32High = Avx2.ConvertToVector256Int32(Vector128.Shuffle(scales, Vector128.Create((sbyte)8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0)));
        sbyte* a = BlockQ8_K.Quants(activation);
        var h = Vector256.Load(weight);
        var sum = Vector256<int>.Zero;
        for (int n = 0; n < 2; n++)
        {
            var raw = Vector256.Load(weight + QuantOffset + 32 * n);
            var s = n == 0 ? scales32Low : scales32High;
            for (int j = 0; j < 4; j++)
            {
                var q = Nibbles.Field(raw, 2 * j, 3, 0) | Nibbles.Field(h, 4 * n + j, 1, 2);
                // Lanes 0–3 are group 8n+2j, lanes 4–7 group 8n+2j+1.
                var groupScales = Avx2.PermuteVar8x32(s, Vector256.Create(2 * j, 2 * j, 2 * j, 2 * j, 2 * j + 1, 2 * j + 1, 2 * j + 1, 2 * j + 1));
                sum += TDot.DotUS(default, q, Vector256.Load(a + 128 * n + 32 * j)) * groupScales;
            }
        }
        var offsets = Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(scales), Vector256.Load((short*)(activation + BlockQ8_K.SumOffset)));
        sum -= Vector256.ShiftLeft(offsets, 2);
        float d = BlockQ8_K.Scale(activation) * Fp16.Load(weight + DOffset);
        return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(sum), Vector256.Create(d), acc);
    }
}
