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
        return acc + WidenedDot(Vector128.WidenLower(u).AsInt16(), Vector128.WidenUpper(u).AsInt16(),
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
        return acc + WidenedDot(Vector128.WidenLower(w), Vector128.WidenUpper(w), Vector128.WidenLower(a), Vector128.WidenUpper(a));
    }

    // Portable fallback: 16-bit products, then each int32 lane sums its own 4-byte group like the instructions above.
    private static Vector128<int> WidenedDot(Vector128<short> u0, Vector128<short> u1, Vector128<short> s0, Vector128<short> s1)
    {
        var p0 = u0 * s0; // elements 0..7
        var p1 = u1 * s1; // elements 8..15
        var l0 = Vector128.WidenLower(p0) + Vector128.WidenUpper(p0); // lanes hold e0+e4, e1+e5, ...
        var l1 = Vector128.WidenLower(p1) + Vector128.WidenUpper(p1);
        // Pairwise sums give the same total per block; the group-to-lane mapping differs, which no caller relies on.
        return Vector128.Create(l0[0] + l0[1], l0[2] + l0[3], l1[0] + l1[1], l1[2] + l1[3]);
    }
}
