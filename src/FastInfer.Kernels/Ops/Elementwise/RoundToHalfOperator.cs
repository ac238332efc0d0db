using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Ops.Elementwise;

/// <summary>
/// x rounded to the nearest IEEE half (ties to even) and widened back: exactly <c>(float)(Half)x</c>, in integer
/// and float ops every width has. Normal halves round the single's mantissa to 10 bits in its bit pattern (a carry
/// into the exponent is the right answer; past 65504 the value becomes infinite); subnormal halves are multiples of
/// 2^-24, which adding and subtracting 0.75 (whose ulp is 2^-24) rounds to. NaN stays NaN.
/// </summary>
public readonly struct RoundToHalfOperator : IUnaryOperator
{
    private const uint SignBit = 0x8000_0000, Magnitude = 0x7FFF_FFFF, Infinity = 0x7F80_0000;
    private const uint HalfMaximum = 0x477F_E000;      // 65504
    private const uint HalfSmallestNormal = 0x3880_0000; // 2^-14
    private const uint DroppedBits = 0x1FFF, RoundingBias = 0x0FFF;
    private const float SubnormalShift = 0.75f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        uint magnitude = bits & Magnitude;
        uint rounded;
        if (magnitude > Infinity)
            rounded = magnitude;
        else if (magnitude < HalfSmallestNormal)
            rounded = BitConverter.SingleToUInt32Bits(BitConverter.UInt32BitsToSingle(magnitude) + SubnormalShift - SubnormalShift);
        else
        {
            rounded = (magnitude + RoundingBias + ((magnitude >> 13) & 1)) & ~DroppedBits;
            if (rounded > HalfMaximum)
                rounded = Infinity;
        }
        return BitConverter.UInt32BitsToSingle(rounded | (bits & SignBit));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> x)
    {
        var bits = x.AsUInt32();
        var magnitude = bits & Vector128.Create(Magnitude);
        var normal = (magnitude + Vector128.Create(RoundingBias) + ((magnitude >> 13) & Vector128<uint>.One)) & Vector128.Create(~DroppedBits);
        normal = Vector128.ConditionalSelect(Vector128.GreaterThan(normal, Vector128.Create(HalfMaximum)), Vector128.Create(Infinity), normal);
        var shift = Vector128.Create(SubnormalShift);
        var subnormal = (magnitude.AsSingle() + shift - shift).AsUInt32();
        var rounded = Vector128.ConditionalSelect(Vector128.LessThan(magnitude, Vector128.Create(HalfSmallestNormal)), subnormal, normal);
        rounded = Vector128.ConditionalSelect(Vector128.GreaterThan(magnitude, Vector128.Create(Infinity)), magnitude, rounded);
        return (rounded | (bits & Vector128.Create(SignBit))).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x)
    {
        var bits = x.AsUInt32();
        var magnitude = bits & Vector256.Create(Magnitude);
        var normal = (magnitude + Vector256.Create(RoundingBias) + ((magnitude >> 13) & Vector256<uint>.One)) & Vector256.Create(~DroppedBits);
        normal = Vector256.ConditionalSelect(Vector256.GreaterThan(normal, Vector256.Create(HalfMaximum)), Vector256.Create(Infinity), normal);
        var shift = Vector256.Create(SubnormalShift);
        var subnormal = (magnitude.AsSingle() + shift - shift).AsUInt32();
        var rounded = Vector256.ConditionalSelect(Vector256.LessThan(magnitude, Vector256.Create(HalfSmallestNormal)), subnormal, normal);
        rounded = Vector256.ConditionalSelect(Vector256.GreaterThan(magnitude, Vector256.Create(Infinity)), magnitude, rounded);
        return (rounded | (bits & Vector256.Create(SignBit))).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x)
    {
        var bits = x.AsUInt32();
        var magnitude = bits & Vector512.Create(Magnitude);
        var normal = (magnitude + Vector512.Create(RoundingBias) + ((magnitude >> 13) & Vector512<uint>.One)) & Vector512.Create(~DroppedBits);
        normal = Vector512.ConditionalSelect(Vector512.GreaterThan(normal, Vector512.Create(HalfMaximum)), Vector512.Create(Infinity), normal);
        var shift = Vector512.Create(SubnormalShift);
        var subnormal = (magnitude.AsSingle() + shift - shift).AsUInt32();
        var rounded = Vector512.ConditionalSelect(Vector512.LessThan(magnitude, Vector512.Create(HalfSmallestNormal)), subnormal, normal);
        rounded = Vector512.ConditionalSelect(Vector512.GreaterThan(magnitude, Vector512.Create(Infinity)), magnitude, rounded);
        return (rounded | (bits & Vector512.Create(SignBit))).AsSingle();
    }
}
