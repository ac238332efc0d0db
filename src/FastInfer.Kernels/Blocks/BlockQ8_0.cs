using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks.Simd;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Blocks;

/// <summary>ggml block_q8_0: fp16 d, int8 qs[32]; x = d·q. Also the activation block of the 32-element types.</summary>
public readonly unsafe struct BlockQ8_0 : IQuantizableBlock, ITokenTileBlock<BlockQ8_0>
{
    public const int ElementCount = 32, ByteCount = 2 + 32;
    public static GgmlType Type => GgmlType.Q8_0;
    public static int Elements => ElementCount;
    public static int Bytes => ByteCount;

    public static void Dequantize(byte* block, float* destination)
    {
        float d = Fp16.Load(block);
        sbyte* q = (sbyte*)(block + 2);
        for (int j = 0; j < 32; j++)
            destination[j] = q[j] * d;
    }

    /// <summary>ggml's reference: d = max|x|/127, q = round-half-away(x/d).</summary>
    public static void Quantize(float* source, byte* block)
        => Unsafe.WriteUnaligned(block, Fp16.FloatToHalf(Quants(source, (sbyte*)(block + 2))));

    /// <summary>The 32 quants of <see cref="Quantize"/> into <paramref name="quants"/>; returns d before its rounding to F16
    /// (<see cref="BlockQ8_1"/> needs it too).</summary>
    internal static float Quants(float* source, sbyte* quants)
    {
        float amax = 0;
        for (int j = 0; j < 32; j++)
            amax = MathF.Max(amax, MathF.Abs(source[j]));
        float d = amax / 127f;
        float id = d != 0 ? 1f / d : 0f;
        for (int j = 0; j < 32; j++)
            quants[j] = (sbyte)MathF.Round(source[j] * id, MidpointRounding.AwayFromZero);
        return d;
    }

    public static float Dot(byte* weight, byte* activation)
    {
        sbyte* w = (sbyte*)(weight + 2), a = (sbyte*)(activation + 2);
        int sum = 0;
        for (int j = 0; j < 32; j++)
            sum += w[j] * a[j];
        return Fp16.Load(weight) * Fp16.Load(activation) * sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Dot128(byte* weight, byte* activation, Vector128<float> acc)
    {
        var sum = Int8Dot.DotSS(Vector128<int>.Zero, Vector128.Load((sbyte*)(weight + 2)), Vector128.Load((sbyte*)(activation + 2)));
        sum = Int8Dot.DotSS(sum, Vector128.Load((sbyte*)(weight + 18)), Vector128.Load((sbyte*)(activation + 18)));
        return Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(sum), Vector128.Create(Fp16.Load(weight) * Fp16.Load(activation)), acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Dot256<TDot>(byte* weight, byte* activation, Vector256<float> acc) where TDot : struct, IInt8Dot256
    {
        var sum = Int8Dot.DotSS<TDot>(Vector256<int>.Zero, Vector256.Load((sbyte*)(weight + 2)), Vector256.Load((sbyte*)(activation + 2)));
        return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(sum), Vector256.Create(Fp16.Load(weight) * Fp16.Load(activation)), acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot256x4<TDot>(byte* weight, byte* a0, byte* a1, byte* a2, byte* a3,
        ref Vector256<float> c0, ref Vector256<float> c1, ref Vector256<float> c2, ref Vector256<float> c3)
        where TDot : struct, IInt8Dot256
    {
        var w = Vector256.Load((sbyte*)(weight + 2));
        var magnitude = Avx2.Sign(w, w).AsByte();
        float d = Fp16.Load(weight);
        c0 = SignedStep<TDot>(magnitude, w, a0, d, c0);
        c1 = SignedStep<TDot>(magnitude, w, a1, d, c1);
        c2 = SignedStep<TDot>(magnitude, w, a2, d, c2);
        c3 = SignedStep<TDot>(magnitude, w, a3, d, c3);
    }

    /// <summary>One token of a shared-weight tile: |w|·(a with w's sign), scaled by d·da. Used by the 32-element types.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> SignedStep<TDot>(Vector256<byte> magnitude, Vector256<sbyte> w, byte* activation, float d, Vector256<float> acc)
        where TDot : struct, IInt8Dot256
    {
        var sum = TDot.DotUS(default, magnitude, Avx2.Sign(Vector256.Load((sbyte*)(activation + 2)), w));
        return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(sum), Vector256.Create(d * Fp16.Load(activation)), acc);
    }
}
