using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks.Simd;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Blocks;

/// <summary>
/// The quant storage of a K-quant with a scale and a min per 32-element group (Q4_K, Q5_K): the header is fp16 d,
/// fp16 dmin and <see cref="KScales"/>; x = d·scale·q − dmin·min. Types differ only in how quants are stored.
/// </summary>
public unsafe interface IScaleMinQuants
{
    /// <summary>The unsigned quant of element <paramref name="i"/>.</summary>
    static abstract int Quant(byte* block, int i);

    /// <summary>Quants of elements 64j..64j+31 (low) and 64j+32..64j+63 (high), one byte each.</summary>
    static abstract (Vector256<byte> Low, Vector256<byte> High) Chunk256(byte* block, int j);

    /// <summary>Quants of elements 64j+16p..+15 (low) and 64j+32+16p..+15 (high), p = 0 or 1.</summary>
    static abstract (Vector128<byte> Low, Vector128<byte> High) Chunk128(byte* block, int j, int p);
}

/// <summary>Dequantization and the integer dot products shared by the <see cref="IScaleMinQuants"/> types.</summary>
internal static unsafe class ScaleMinBlocks
{
    public const int ScalesOffset = 4;

    /// <summary>
    /// Per group: the range [min(0, lo), hi] over <paramref name="maxLevel"/> steps; then the eight scales and mins are
    /// themselves quantized to 6 bits against d and dmin, and the quants recomputed against the rounded scales so each
    /// value's error stays near half a step. (ggml refines further with a search; this simple form is valid and close.)
    /// <paramref name="store"/> writes quant q of element i into the type's layout.
    /// </summary>
    public static void Quantize(float* source, byte* block, int maxLevel, Action<int, int> store)
    {
        Span<float> scale = stackalloc float[8], offset = stackalloc float[8];
        Span<byte> sc = stackalloc byte[8], mn = stackalloc byte[8];
        QuantizingSteps.GroupRanges(source, 32, maxLevel, scale, offset);
        float d = QuantizingSteps.SixBitScales(scale, sc, out ushort dHalf);
        float dmin = QuantizingSteps.SixBitScales(offset, mn, out ushort dminHalf);
        Unsafe.WriteUnaligned(block, dHalf);
        Unsafe.WriteUnaligned(block + 2, dminHalf);
        KScales.Pack(sc, mn, block + ScalesOffset);
        for (int i = 0; i < 256; i++)
            store(i, QuantizingSteps.Level(source[i] + dmin * mn[i >> 5], d * sc[i >> 5], maxLevel));
    }

    public static void Dequantize<T>(byte* block, float* destination) where T : IScaleMinQuants
    {
        var s = KScales.Unpack(block + ScalesOffset);
        float d = Fp16.Load(block), dmin = Fp16.Load(block + 2);
        for (int i = 0; i < 256; i++)
            destination[i] = d * s.Scale(i >> 5) * T.Quant(block, i) - dmin * s.Min(i >> 5);
    }

    public static float Dot<T>(byte* weight, byte* activation) where T : IScaleMinQuants
    {
        var s = KScales.Unpack(weight + ScalesOffset);
        sbyte* a = BlockQ8_K.Quants(activation);
        int sum = 0;
        for (int g = 0; g < 8; g++)
        {
            int group = 0;
            for (int i = g * 32; i < g * 32 + 32; i++)
                group += T.Quant(weight, i) * a[i];
            sum += s.Scale(g) * group;
        }
        float da = BlockQ8_K.Scale(activation);
        return da * (Fp16.Load(weight) * sum - Fp16.Load(weight + 2) * s.MinTimesSums(activation));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Dot128<T>(byte* weight, byte* activation, Vector128<float> acc) where T : IScaleMinQuants
    {
        var s = KScales.Unpack(weight + ScalesOffset);
        sbyte* a = BlockQ8_K.Quants(activation);
        var sum = Vector128<int>.Zero;
        for (int j = 0; j < 4; j++, a += 64)
        {
            var (low0, high0) = T.Chunk128(weight, j, 0);
            var (low1, high1) = T.Chunk128(weight, j, 1);
            var lo = Int8Dot.DotUS(Int8Dot.DotUS(default, low0, Vector128.Load(a)), low1, Vector128.Load(a + 16));
            var hi = Int8Dot.DotUS(Int8Dot.DotUS(default, high0, Vector128.Load(a + 32)), high1, Vector128.Load(a + 48));
            sum += lo * s.Scale(2 * j) + hi * s.Scale(2 * j + 1);
        }
        float da = BlockQ8_K.Scale(activation);
        acc = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(sum), Vector128.Create(da * Fp16.Load(weight)), acc);
        return acc + Vector128.CreateScalar(-da * Fp16.Load(weight + 2) * s.MinTimesSums(activation));
    }

    /// <summary>
    /// Groups 2j and 2j+1. Each int32 lane of a dot step sums four products of at most 31·127, so it fits 16 bits:
    /// vpmaddwd against the scale (in the low word, zero in the high) multiplies it exactly, and the scale comes from a
    /// register by vpermd — one vector op each instead of extracting the byte and broadcasting it from a scalar.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Step256<T, TDot>(byte* weight, sbyte* a, Vector256<int> scales, int j)
        where T : IScaleMinQuants where TDot : struct, IInt8Dot256
    {
        var (low, high) = T.Chunk256(weight, j);
        var lowSum = TDot.DotUS(default, low, Vector256.Load(a + 64 * j));
        var highSum = TDot.DotUS(default, high, Vector256.Load(a + 64 * j + 32));
        return Avx2.MultiplyAddAdjacent(lowSum.AsInt16(), Avx2.PermuteVar8x32(scales, Vector256.Create(2 * j)).AsInt16())
            + Avx2.MultiplyAddAdjacent(highSum.AsInt16(), Avx2.PermuteVar8x32(scales, Vector256.Create(2 * j + 1)).AsInt16());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Dot256<T, TDot>(byte* weight, byte* activation, Vector256<float> acc)
        where T : IScaleMinQuants where TDot : struct, IInt8Dot256
    {
        var s = KScales.Unpack(weight + ScalesOffset);
        var scales = Avx2.ConvertToVector256Int32(Vector128.CreateScalar(s.Scales).AsByte());
        sbyte* a = BlockQ8_K.Quants(activation);
        var sum = Step256<T, TDot>(weight, a, scales, 0) + Step256<T, TDot>(weight, a, scales, 1)
            + Step256<T, TDot>(weight, a, scales, 2) + Step256<T, TDot>(weight, a, scales, 3);
        float da = BlockQ8_K.Scale(activation);
        acc = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(sum), Vector256.Create(da * Fp16.Load(weight)), acc);
        return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(s.MinTerms256(activation)), Vector256.Create(-da * Fp16.Load(weight + 2)), acc);
    }
}
