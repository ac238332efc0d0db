using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Blocks;

/// <summary>
/// IEEE half. Widened with integer ops (this runtime exposes no F16C intrinsic): the exponent/mantissa bits move
/// into single position and a multiply by 2^112 rebiases the exponent, which also handles subnormals exactly;
/// infinities and NaNs get the all-ones exponent back.
/// The pair forms (<see cref="Even(Vector512{int})"/>, <see cref="Odd(Vector512{int})"/>) take a half from the top of a
/// 32-bit lane: an arithmetic shift right by 3 leaves sign, exponent and mantissa in single position with three copies
/// of the sign in the top exponent bits, and one AND clears those (and whatever lies below the mantissa). The result is
/// the half times 2^-112, exactly, for every finite half (a half subnormal becomes a single subnormal); the rebiasing
/// multiply is left out because the matrix-vector kernel multiplies the activations by 2^112 once per call
/// (<see cref="PairScale"/>) instead: activations there are F16 values (at most 65504, so the scaled copy stays finite),
/// and an FMA forms the product of its operands exactly, so (w·2^-112)·(x·2^112) adds the same bits as w·x. That spares
/// the multiply, which shares the FMA units, on every weight vector. Infinities and NaNs come out as finite numbers, so
/// callers detect them separately (<see cref="SpecialMagnitude"/>).
/// </summary>
public readonly unsafe struct BlockF16 : IHalfFloatBlock
{
    private const uint Rebias = 0x77800000; // 2^112 as a single
    private const int PairMask = unchecked((int)0x8FFFE000); // sign, exponent's low 5 bits, 10 mantissa bits

    public static GgmlType Type => GgmlType.F16;
    public static int Elements => 1;
    public static int Bytes => 2;
    public static void Dequantize(byte* block, float* destination) => *destination = Load(block);
    public static void Quantize(float* source, byte* block) => Unsafe.WriteUnaligned(block, Fp16.FloatToHalf(*source));
    public static float Load(byte* element) => Fp16.Load(element);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load128(byte* elements)
        => Widen(Vector128.WidenLower(Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(elements)).AsUInt16()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load256(byte* elements)
        => Widen(Vector256.WidenLower(Vector128.Load((ushort*)elements).ToVector256Unsafe()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(byte* elements)
        => Widen(Vector512.WidenLower(Vector256.Load((ushort*)elements).ToVector512Unsafe()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Widen(Vector128<uint> h)
    {
        var magnitude = Vector128.ShiftLeft(h & Vector128.Create(0x7fffu), 13);
        var scaled = (magnitude.AsSingle() * Vector128.Create(Rebias).AsSingle()).AsUInt32();
        var special = Vector128.Equals(h & Vector128.Create(0x7c00u), Vector128.Create(0x7c00u));
        var bits = Vector128.ConditionalSelect(special, magnitude | Vector128.Create(0x7f800000u), scaled);
        return (bits | Vector128.ShiftLeft(h & Vector128.Create(0x8000u), 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Widen(Vector256<uint> h)
    {
        var magnitude = Vector256.ShiftLeft(h & Vector256.Create(0x7fffu), 13);
        var scaled = (magnitude.AsSingle() * Vector256.Create(Rebias).AsSingle()).AsUInt32();
        var special = Vector256.Equals(h & Vector256.Create(0x7c00u), Vector256.Create(0x7c00u));
        var bits = Vector256.ConditionalSelect(special, magnitude | Vector256.Create(0x7f800000u), scaled);
        return (bits | Vector256.ShiftLeft(h & Vector256.Create(0x8000u), 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Widen(Vector512<uint> h)
    {
        var magnitude = Vector512.ShiftLeft(h & Vector512.Create(0x7fffu), 13);
        var scaled = (magnitude.AsSingle() * Vector512.Create(Rebias).AsSingle()).AsUInt32();
        var special = Vector512.Equals(h & Vector512.Create(0x7c00u), Vector512.Create(0x7c00u));
        var bits = Vector512.ConditionalSelect(special, magnitude | Vector512.Create(0x7f800000u), scaled);
        return (bits | Vector512.ShiftLeft(h & Vector512.Create(0x8000u), 16)).AsSingle();
    }

    public static bool HasSpecials => true;
    public static short SpecialMagnitude => 0x7C00;
    public static float PairScale => BitConverter.UInt32BitsToSingle(Rebias);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Even(Vector512<int> pairs) => Odd(Vector512.ShiftLeft(pairs, 16));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Odd(Vector512<int> pairs)
        => (Vector512.ShiftRightArithmetic(pairs, 3) & Vector512.Create(PairMask)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Even(Vector256<int> pairs) => Odd(Vector256.ShiftLeft(pairs, 16));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Odd(Vector256<int> pairs)
        => (Vector256.ShiftRightArithmetic(pairs, 3) & Vector256.Create(PairMask)).AsSingle();
}
