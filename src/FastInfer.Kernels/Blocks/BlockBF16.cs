using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Blocks;

/// <summary>bfloat16: the high 16 bits of an IEEE single, so widening is a 16-bit shift.</summary>
public readonly unsafe struct BlockBF16 : IHalfFloatBlock
{
    public static GgmlType Type => GgmlType.BF16;
    public static int Elements => 1;
    public static int Bytes => 2;
    public static void Dequantize(byte* block, float* destination) => *destination = Load(block);
    public static void Quantize(float* source, byte* block) => Unsafe.WriteUnaligned(block, Fp16.FloatToBFloat16(*source));
    public static float Load(byte* element) => Fp16.BFloat16ToFloat(Unsafe.ReadUnaligned<ushort>(element));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load128(byte* elements)
        => Vector128.ShiftLeft(Vector128.WidenLower(Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(elements)).AsUInt16()), 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load256(byte* elements)
        => Vector256.ShiftLeft(Vector256.WidenLower(Vector128.Load((ushort*)elements).ToVector256Unsafe()), 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(byte* elements)
        => Vector512.ShiftLeft(Vector512.WidenLower(Vector256.Load((ushort*)elements).ToVector512Unsafe()), 16).AsSingle();

    public static bool HasSpecials => false;
    public static short SpecialMagnitude => short.MaxValue;
    public static float PairScale => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Even(Vector512<int> pairs) => Vector512.ShiftLeft(pairs, 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Odd(Vector512<int> pairs) => (pairs & Vector512.Create(unchecked((int)0xFFFF0000))).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Even(Vector256<int> pairs) => Vector256.ShiftLeft(pairs, 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Odd(Vector256<int> pairs) => (pairs & Vector256.Create(unchecked((int)0xFFFF0000))).AsSingle();
}
