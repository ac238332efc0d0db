using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks.Simd;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Blocks;

/// <summary>
/// ggml block_q4_K: fp16 d, fp16 dmin, 12 bytes of 6-bit scales/mins (<see cref="KScales"/>), qs[128]. Eight groups of
/// 32; group 2i takes the low nibbles of qs[32i..32i+32), group 2i+1 the high nibbles. x = d·scale·q − dmin·min.
/// </summary>
public readonly unsafe struct BlockQ4_K : IQuantizableBlock, IIntegerDotBlock<BlockQ8_K>, IScaleMinQuants
{
    private const int QuantOffset = 16;
    public static GgmlType Type => GgmlType.Q4_K;
    public static int Elements => 256;
    public static int Bytes => 2 + 2 + 12 + 128;

    /// <summary>The 4-bit quant of element <paramref name="i"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Quant(byte* block, int i)
    {
        byte packed = block[QuantOffset + (i >> 6) * 32 + (i & 31)];
        return (i & 32) == 0 ? packed & 0x0F : packed >> 4;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<byte> Low, Vector256<byte> High) Chunk256(byte* block, int j)
    {
        var raw = Vector256.Load(block + QuantOffset + 32 * j);
        return (Nibbles.Low(raw), Nibbles.High(raw));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector128<byte> Low, Vector128<byte> High) Chunk128(byte* block, int j, int p)
    {
        var raw = Vector128.Load(block + QuantOffset + 32 * j + 16 * p);
        return (Nibbles.Low(raw), Nibbles.High(raw));
    }

    public static void Dequantize(byte* block, float* destination) => ScaleMinBlocks.Dequantize<BlockQ4_K>(block, destination);

    /// <summary>See <see cref="ScaleMinBlocks.Quantize"/>.</summary>
    public static void Quantize(float* source, byte* block)
    {
        new Span<byte>(block + QuantOffset, 128).Clear();
        ScaleMinBlocks.Quantize(source, block, 15, (i, q) => block[QuantOffset + (i >> 6) * 32 + (i & 31)] |= (byte)((i & 32) == 0 ? q : q << 4));
    }

    public static float Dot(byte* weight, byte* activation) => ScaleMinBlocks.Dot<BlockQ4_K>(weight, activation);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Dot128(byte* weight, byte* activation, Vector128<float> acc)
        => ScaleMinBlocks.Dot128<BlockQ4_K>(weight, activation, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Dot256<TDot>(byte* weight, byte* activation, Vector256<float> acc) where TDot : struct, IInt8Dot256
        => ScaleMinBlocks.Dot256<BlockQ4_K, TDot>(weight, activation, acc);
}
