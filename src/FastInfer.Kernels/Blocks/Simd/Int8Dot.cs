using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace FastInfer.Kernels.Blocks.Simd;

/// <summary>
/// One 256-bit int8 dot-product step: each int32 lane gains the sum of the four byte products in its 4-byte group.
/// Implemented twice (AVX2 maddubs and AVX-VNNI vpdpbusd) so the two give the same lane values and can both be tested.
/// </summary>
public interface IInt8Dot256
{
    /// <summary>acc + Σ u·s per 4-byte group. Requires u ≤ 128 (the maddubs form saturates its int16 pairs beyond that).</summary>
    static abstract Vector256<int> DotUS(Vector256<int> acc, Vector256<byte> u, Vector256<sbyte> s);
}

/// <summary>vpmaddubsw + vpmaddwd: any AVX2 CPU.</summary>
public readonly struct Avx2Dot256 : IInt8Dot256
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotUS(Vector256<int> acc, Vector256<byte> u, Vector256<sbyte> s)
        => Avx2.Add(acc, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, s), Vector256.Create((short)1)));
}

/// <summary>vpdpbusd (AVX-VNNI): one instruction, no int16 saturation.</summary>
public readonly struct VnniDot256 : IInt8Dot256
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotUS(Vector256<int> acc, Vector256<byte> u, Vector256<sbyte> s)
        => Avx512Ops.MultiplyWideningAndAdd(acc, u, s);
}

/// <summary>Signed·signed products built on <see cref="IInt8Dot256"/> and the 128-bit equivalents.</summary>
public static class Int8Dot
{
    /// <summary>acc + Σ w·a per 4-byte group, both signed (the sign moves onto a so the unsigned side is |w|).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotSS<TDot>(Vector256<int> acc, Vector256<sbyte> w, Vector256<sbyte> a)
        where TDot : struct, IInt8Dot256
        => TDot.DotUS(acc, Avx2.Sign(w, w).AsByte(), Avx2.Sign(a, w));

    /// <summary>acc + Σ u·s per 4-byte group, u unsigned ≤ 127, s signed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> DotUS(Vector128<int> acc, Vector128<byte> u, Vector128<sbyte> s)
    {
        if (Ssse3.IsSupported)
            return Sse2.Add(acc, Sse2.MultiplyAddAdjacent(Ssse3.MultiplyAddAdjacent(u, s), Vector128.Create((short)1)));
        if (Dp.IsSupported)
            return Dp.DotProduct(acc, u.AsSByte(), s);
        if (AdvSimd.Arm64.IsSupported)
            return acc + WideningGroupSums(u.AsSByte(), s);
        return acc + PortableGroupSums(Vector128.WidenLower(u).AsInt16(), Vector128.WidenUpper(u).AsInt16(),
            Vector128.WidenLower(s), Vector128.WidenUpper(s));
    }

    /// <summary>acc + Σ w·a per 4-byte group, both signed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> DotSS(Vector128<int> acc, Vector128<sbyte> w, Vector128<sbyte> a)
    {
        if (Ssse3.IsSupported)
            return DotUS(acc, Ssse3.Sign(w, w).AsByte(), Ssse3.Sign(a, w));
        if (Dp.IsSupported)
            return Dp.DotProduct(acc, w, a);
        if (AdvSimd.Arm64.IsSupported)
            return acc + WideningGroupSums(w, a);
        return acc + PortableGroupSums(Vector128.WidenLower(w), Vector128.WidenUpper(w), Vector128.WidenLower(a), Vector128.WidenUpper(a));
    }

    // Every form gives lane i the sum of byte group i (bytes 4i..4i+3), as the instructions do. Callers turn the lanes into
    // floats and carry them in per-lane chains, so a form that summed the groups' products across lanes would keep each
    // block's total but change the result's last bits from one CPU to another.

    /// <summary>
    /// Arm64 without the dot-product extension (ARMv8.0: Cortex-A53/A57/A72): int16 products (exact for any two int8
    /// values, |p| ≤ 16384), each pair added into an int32 lane, then each two neighbouring pairs: the groups' sums.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> WideningGroupSums(Vector128<sbyte> x, Vector128<sbyte> y)
    {
        var low = AdvSimd.AddPairwiseWidening(AdvSimd.MultiplyWideningLower(x.GetLower(), y.GetLower())); // bytes 0..7 as four pair sums
        var high = AdvSimd.AddPairwiseWidening(AdvSimd.MultiplyWideningUpper(x, y));                         // bytes 8..15
        return AdvSimd.Arm64.AddPairwise(low, high);
    }

    /// <summary>Any other CPU: 16-bit products widened, each group's four summed into its own lane. Internal for its test.</summary>
    internal static Vector128<int> PortableGroupSums(Vector128<short> x0, Vector128<short> x1, Vector128<short> y0, Vector128<short> y1)
    {
        var p0 = x0 * y0; // bytes 0..7
        var p1 = x1 * y1; // bytes 8..15
        return Vector128.Create(Vector128.Sum(Vector128.WidenLower(p0)), Vector128.Sum(Vector128.WidenUpper(p0)),
            Vector128.Sum(Vector128.WidenLower(p1)), Vector128.Sum(Vector128.WidenUpper(p1)));
    }
}
