using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastInfer.Kernels.Ops.AttentionKernels;

/// <summary>
/// IEEE half → float at each vector width, exactly (every half is a float): the exponent and mantissa
/// bits shift into place and one multiply by 2^112 rebiases the exponent, which also turns half
/// subnormals into float normals; infinities and NaNs get the float's all-ones exponent.
/// </summary>
internal static class HalfWidening
{
    private const float Rebias = 5.192296858534828e33f; // 2^112 = 2^(127 − 15)

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ToSingle(Vector256<ushort> h)
    {
        Vector512<uint> u = Avx512F.IsSupported
            ? Avx512F.ConvertToVector512UInt32(h)
            : Vector512.Create(Vector256.WidenLower(h), Vector256.WidenUpper(h));
        var magnitude = u & Vector512.Create(0x7fffu);
        var shifted = magnitude << 13;
        var value = (shifted.AsSingle() * Vector512.Create(Rebias)).AsUInt32();
        var special = Vector512.GreaterThanOrEqual(magnitude, Vector512.Create(0x7c00u));
        value = Vector512.ConditionalSelect(special, shifted | Vector512.Create(0x7f800000u), value);
        return (value | ((u & Vector512.Create(0x8000u)) << 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ToSingle(Vector128<ushort> h)
    {
        Vector256<uint> u = Avx2.IsSupported
            ? Avx2.ConvertToVector256Int32(h).AsUInt32()
            : Vector256.Create(Vector128.WidenLower(h), Vector128.WidenUpper(h));
        var magnitude = u & Vector256.Create(0x7fffu);
        var shifted = magnitude << 13;
        var value = (shifted.AsSingle() * Vector256.Create(Rebias)).AsUInt32();
        var special = Vector256.GreaterThanOrEqual(magnitude, Vector256.Create(0x7c00u));
        value = Vector256.ConditionalSelect(special, shifted | Vector256.Create(0x7f800000u), value);
        return (value | ((u & Vector256.Create(0x8000u)) << 16)).AsSingle();
    }

    /// <summary>The low four halves of <paramref name="h"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ToSingle(Vector128<ushort> h, bool lowerHalf)
    {
        var u = lowerHalf ? Vector128.WidenLower(h) : Vector128.WidenUpper(h);
        var magnitude = u & Vector128.Create(0x7fffu);
        var shifted = magnitude << 13;
        var value = (shifted.AsSingle() * Vector128.Create(Rebias)).AsUInt32();
        var special = Vector128.GreaterThanOrEqual(magnitude, Vector128.Create(0x7c00u));
        value = Vector128.ConditionalSelect(special, shifted | Vector128.Create(0x7f800000u), value);
        return (value | ((u & Vector128.Create(0x8000u)) << 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort h) => (float)BitConverter.UInt16BitsToHalf(h);
}
