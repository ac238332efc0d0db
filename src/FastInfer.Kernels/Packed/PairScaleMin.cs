using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks.Simd;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// The parts of a scale-min K-quant super-block (Q4_K, Q5_K; the layout of <see cref="PackedQ4_K"/>) that the 512-bit
/// pair kernels share: the scale fields unpacked as <see cref="PackedScaleMinDot"/> unpacks them, the group's rows in
/// lanes 0–7 and its partner's in 8–15, and the end of a super-block — the minimums' term and both FMAs, operation for
/// operation the 256-bit kernel's, so every row keeps its bits.
/// </summary>
internal static unsafe class PairScaleMin
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Unpack(byte* p, long partnerOffset,
        out Vector512<uint> scalesLow, out Vector512<uint> scalesHigh, out Vector512<uint> minsLow, out Vector512<uint> minsHigh)
    {
        var w0 = PackedPair.Join(p + PackedQ4_K.ScaleFieldOffset, partnerOffset);
        var w1 = PackedPair.Join(p + PackedQ4_K.ScaleFieldOffset + 32, partnerOffset);
        var w2 = PackedPair.Join(p + PackedQ4_K.ScaleFieldOffset + 64, partnerOffset);
        var sixBits = Vector512.Create(0x3f3f3f3fu);
        var nibble = Vector512.Create(0x0f0f0f0fu);
        var twoBits = Vector512.Create(0x03030303u);
        scalesLow = w0 & sixBits;
        minsLow = w1 & sixBits;
        scalesHigh = (w2 & nibble) | Vector512.ShiftLeft(Vector512.ShiftRightLogical(w0, 6) & twoBits, 4);
        minsHigh = (Vector512.ShiftRightLogical(w2, 4) & nibble) | Vector512.ShiftLeft(Vector512.ShiftRightLogical(w1, 6) & twoBits, 4);
    }

    /// <summary>The super-block's two FMAs into each row's chain: d·d<sub>a</sub> times <paramref name="sum"/>, then
    /// −dmin·d<sub>a</sub> times Σ min·(activation sum).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Finish(byte* p, long partnerOffset, in PackedKActivations a, int s, Vector512<int> sum,
        Vector512<uint> minsLow, Vector512<uint> minsHigh, Vector512<float> acc)
    {
        var evenBytes = Vector512.Create(0x00FF00FFu);
        var mins = Avx512Ops.MultiplyAddAdjacent((minsLow & evenBytes).AsInt16(), Vector512.Create(a.SumPair(s, 0)).AsInt16())
            + Avx512Ops.MultiplyAddAdjacent((Vector512.ShiftRightLogical(minsLow, 8) & evenBytes).AsInt16(), Vector512.Create(a.SumPair(s, 1)).AsInt16())
            + Avx512Ops.MultiplyAddAdjacent((minsHigh & evenBytes).AsInt16(), Vector512.Create(a.SumPair(s, 2)).AsInt16())
            + Avx512Ops.MultiplyAddAdjacent((Vector512.ShiftRightLogical(minsHigh, 8) & evenBytes).AsInt16(), Vector512.Create(a.SumPair(s, 3)).AsInt16());

        var scale = Vector512.Create(a.Scale(s));
        acc = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(sum), PackedPair.Scales(p, partnerOffset) * scale, acc);
        return Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(mins), -(PackedPair.Scales(p + 16, partnerOffset) * scale), acc);
    }

    /// <summary>Byte <paramref name="scaleByte"/> of each lane in both of its int16 halves: the operand that makes the
    /// widening vpmaddwd multiply the lane's pair of int16 sums by the sub-block's scale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> ScaleWords(Vector512<uint> scales, int scaleByte)
    {
        // vpshufb control per lane d of a 128-bit block: bytes 4d+scaleByte, zero, 4d+scaleByte, zero.
        uint first = (uint)scaleByte * 0x00010001u | 0x80008000u;
        uint second = first + 0x00040004u, third = first + 0x00080008u, fourth = first + 0x000C000Cu;
        var control = Vector512.Create(first, second, third, fourth, first, second, third, fourth,
            first, second, third, fourth, first, second, third, fourth);
        return Avx512Ops.Shuffle(scales.AsByte(), control.AsByte()).AsInt16();
    }
}
