using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Eight F16 row scales to F32 without F16C (which .NET does not expose): moving the half's exponent and mantissa
/// into float position gives a float exactly 2^-112 times the half (normal or subnormal alike). The kernels fold the
/// 2^112 into the activation scale (<see cref="Rescale"/>), so w·a comes out as the same single rounding of the
/// exact product as d<sub>w</sub>·d<sub>a</sub>. Inf and NaN halves do not survive this, so packing refuses them.
/// </summary>
internal static unsafe class PackedScales
{
    /// <summary>2^112: the largest finite half (65504) times this is still below float's maximum.</summary>
    public static readonly float Rescale = BitConverter.Int32BitsToSingle((127 + 112) << 23);

    /// <summary>The eight halves at <paramref name="halves"/>, each as a float 2^-112 times its value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(byte* halves)
        => FromSignExtended(Avx2.ConvertToVector256Int32((short*)halves));

    /// <summary>Sixteen sign-extended halves as <see cref="Load(byte*)"/> converts eight (the 512-bit pair kernels).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> FromSignExtended(Vector512<int> widened)
        => (Vector512.ShiftLeft(widened, 13) & Vector512.Create(SignExponentMantissa)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> FromSignExtended(Vector256<int> widened)
        => (Vector256.ShiftLeft(widened, 13) & Vector256.Create(SignExponentMantissa)).AsSingle();

    /// <summary>
    /// After the shift, sign extension leaves the sign in bit 31 and copies of it in bits 30..28; this keeps bit 31 and
    /// the half's exponent and mantissa, now in float position.
    /// </summary>
    private const int SignExponentMantissa = unchecked((int)0x8FFFE000);

    /// <summary>True for the halves <see cref="Load"/> converts exactly: every finite value.</summary>
    public static bool IsFinite(ushort half) => (half & 0x7C00) != 0x7C00;
}
