using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks.Simd;

namespace FastInfer.Kernels.Blocks;

/// <summary>
/// ggml block_q5_K: fp16 d, fp16 dmin, 12 bytes of 6-bit scales/mins (<see cref="KScales"/>), qh[32], qs[128].
/// Like Q4_K, plus a fifth bit: element 64i+l (l &lt; 32) takes bit 2i of qh[l], element 64i+32+l bit 2i+1.
/// </summary>
public readonly unsafe struct BlockQ5_K : IQuantizableBlock, IIntegerDotBlock<BlockQ8_K>, IScaleMinQuants
{
    private const int HighOffset = 16, QuantOffset = 48;
    public static GgmlType Type => GgmlType.Q5_K;
    public static int Elements => 256;
    public static int Bytes => 2 + 2 + 12 + 32 + 128;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Quant(byte* block, int i)
    {
        int l = i & 31, pair = i >> 6, upper = (i >> 5) & 1;
        byte packed = block[QuantOffset + pair * 32 + l];
        int low = upper == 0 ? packed & 0x0F : packed >> 4;
        return low | (((block[HighOffset + l] >> (2 * pair + upper)) & 1) << 4);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<byte> Low, Vector256<byte> High) Chunk256(byte* block, int j)
    {
        var raw = Vector256.Load(block + QuantOffset + 32 * j);
        var h = Vector256.Load(block + HighOffset);
        return (Nibbles.Low(raw) | Nibbles.Field(h, 2 * j, 1, 4), Nibbles.High(raw) | Nibbles.Field(h, 2 * j + 1, 1, 4));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector128<byte> Low, Vector128<byte> High) Chunk128(byte* block, int j, int p)
    {
        var raw = Vector128.Load(block + QuantOffset + 32 * j + 16 * p);
        var h = Vector128.Load(block + HighOffset + 16 * p);
        return (Nibbles.Low(raw) | Nibbles.Field(h, 2 * j, 1, 4), Nibbles.High(raw) | Nibbles.Field(h, 2 * j + 1, 1, 4));
    }

    public static void Dequantize(byte* block, float* destination) => ScaleMinBlocks.Dequantize<BlockQ5_K>(block, destination);

    /// <summary>See <see cref="ScaleMinBlocks.Quantize"/>.</summary>
    public static void Quantize(float* source, byte* block)
    {
        new Span<byte>(block + HighOffset, 32 + 128).Clear();
        ScaleMinBlocks.Quantize(source, block, 31, (i, q) =>
        {
            int l = i & 31, pair = i >> 6, upper = (i >> 5) & 1;
            block[QuantOffset + pair * 32 + l] |= (byte)(upper == 0 ? q & 0x0F : (q & 0x0F) << 4);
            block[HighOffset + l] |= (byte)((q >> 4) << (2 * pair + upper));
        });
    }

    public static float Dot(byte* weight, byte* activation) => ScaleMinBlocks.Dot<BlockQ5_K>(weight, activation);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Dot128(byte* weight, byte* activation, Vector128<float> acc)
        => ScaleMinBlocks.Dot128<BlockQ5_K>(weight, activation, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Dot256<TDot>(byte* weight, byte* activation, Vector256<float> acc) where TDot : struct, IInt8Dot256
        => ScaleMinBlocks.Dot256<BlockQ5_K, TDot>(weight, activation, acc);
}
