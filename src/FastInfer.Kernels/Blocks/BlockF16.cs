using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Blocks;

/// <summary>
/// IEEE half. Widened with integer ops (this runtime exposes no F16C intrinsic): the exponent/mantissa bits move
/// into single position and a multiply by 2^112 rebiases the exponent, which also handles subnormals exactly;
/// infinities and NaNs get the all-ones exponent back.
/// </summary>
public readonly unsafe struct BlockF16 : IFloatBlock
{
    private const uint Rebias = 0x77800000; // 2^112 as a single

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
        => Widen(Vector256.WidenLower(Vector256.Create(Vector128.Load((ushort*)elements), default)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(byte* elements)
        => Widen(Vector512.WidenLower(Vector512.Create(Vector256.Load((ushort*)elements), default)));

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
}
