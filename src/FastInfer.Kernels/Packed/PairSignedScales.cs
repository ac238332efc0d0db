using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks.Simd;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// What the 512-bit pair kernels of the K-quants with sixteen signed scales per super-block (Q6_K's int8 ones, Q3_K's
/// 6-bit ones once unpacked) share. The scales come as four vectors: vector i lane r = row r's scales 4i..4i+3, the
/// group's rows in lanes 0–7 and the partner's in 8–15.
/// </summary>
internal static unsafe class PairSignedScales
{
    /// <summary>
    /// Σ scale·(activation sum) over sub-blocks 4i..4i+3 (the zero point's or offset's term), as the 256-bit kernels form it: each lane's four scales split
    /// into the int16 pairs (4i, 4i+2) and (4i+1, 4i+3), sign-extended, against the matching pairs of 16-column sums.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> ZeroPointTerm(Vector512<uint> fourScales, in PackedKActivations a, int s, int i)
    {
        var words = fourScales.AsInt16();
        var even = Vector512.ShiftRightArithmetic(Vector512.ShiftLeft(words, 8), 8);
        var odd = Vector512.ShiftRightArithmetic(words, 8);
        return Avx512Ops.MultiplyAddAdjacent(even, Vector512.Create(a.SumPair16(s, 2 * i)).AsInt16())
            + Avx512Ops.MultiplyAddAdjacent(odd, Vector512.Create(a.SumPair16(s, 2 * i + 1)).AsInt16());
    }

    /// <summary>
    /// Signed byte <paramref name="scaleByte"/> of each lane in both of its int16 halves: the operand that makes the
    /// widening vpmaddwd multiply the lane's pair of int16 sums by the sub-block's scale.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> ScaleWords(Vector512<uint> scales, int scaleByte)
    {
        // vpshufb control per lane d of a 128-bit block: the byte 4d+scaleByte into the high byte of both int16 halves,
        // which the arithmetic shift then brings down with its sign.
        uint first = (uint)scaleByte * 0x01000100u | 0x00800080u;
        uint second = first + 0x04000400u, third = first + 0x08000800u, fourth = first + 0x0C000C00u;
        var control = Vector512.Create(first, second, third, fourth, first, second, third, fourth,
            first, second, third, fourth, first, second, third, fourth);
        return Vector512.ShiftRightArithmetic(Avx512Ops.Shuffle(scales.AsByte(), control.AsByte()).AsInt16(), 8);
    }
}
