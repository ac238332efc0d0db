using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks.Simd;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// One unsigned-weight × signed-activation step of the packed kernels: each int32 lane (one row) gains the four
/// products of its 4-byte group. <see cref="UsesZeroPoint"/> says whether the lane sum still carries the weights'
/// zero point (then the kernel starts each block's accumulator at −zp·Σa) or the step removed it itself.
/// </summary>
internal interface IPackedStep
{
    static abstract bool UsesZeroPoint { get; }

    static abstract Vector256<int> Step(Vector256<int> acc, Vector256<byte> w, Vector256<sbyte> a);

    /// <summary>
    /// <paramref name="start"/> plus a whole block: the eight column quads w<sub>k</sub> against the activation bytes at
    /// <paramref name="quants"/> (4k..4k+3 for w<sub>k</sub>), for a format whose stored quants are at most
    /// <paramref name="maxQuant"/>. Each step sums in the way that suits it; the int is the same whichever.
    /// </summary>
    static abstract unsafe Vector256<int> Block(Vector256<int> start,
        Vector256<byte> w0, Vector256<byte> w1, Vector256<byte> w2, Vector256<byte> w3,
        Vector256<byte> w4, Vector256<byte> w5, Vector256<byte> w6, Vector256<byte> w7, byte* quants, int maxQuant);
}

/// <summary>vpdpbusd (AVX-VNNI): exact for any unsigned byte.</summary>
internal readonly struct VnniPackedStep : IPackedStep
{
    public static bool UsesZeroPoint => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Step(Vector256<int> acc, Vector256<byte> w, Vector256<sbyte> a)
        => Avx512Ops.MultiplyWideningAndAdd(acc, w, a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector256<int> Block(Vector256<int> start,
        Vector256<byte> w0, Vector256<byte> w1, Vector256<byte> w2, Vector256<byte> w3,
        Vector256<byte> w4, Vector256<byte> w5, Vector256<byte> w6, Vector256<byte> w7, byte* quants, int maxQuant)
        => Packed.PackedDot.Chains<VnniPackedStep>(start, w0, w1, w2, w3, w4, w5, w6, w7, quants);
}

/// <summary>
/// AVX2 vpmaddubsw + vpmaddwd on the unsigned weights: exact while two products fit int16, i.e. for weights ≤ 128
/// against |a| ≤ 127 — the Q4_0 nibbles, not Q8_0's q+128.
/// </summary>
internal readonly struct MaddubsPackedStep : IPackedStep
{
    public static bool UsesZeroPoint => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Step(Vector256<int> acc, Vector256<byte> w, Vector256<sbyte> a)
        => Avx2.Add(acc, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(w, a), Vector256.Create((short)1)));

    /// <summary>
    /// How many vpmaddubsw results a lane may add in int16 before it widens, for weights up to
    /// <paramref name="maxQuant"/>: each result is two products of a weight and an activation (|a| ≤ 128), so a run of
    /// n stays within 2·128·maxQuant·n ≤ 32767. Q4_0's and Q4_K's nibbles allow 8, Q5's 4.
    /// </summary>
    public static int Int16Run(int maxQuant) => short.MaxValue / (2 * 128 * maxQuant);

    /// <summary>
    /// For weights whose <see cref="Int16Run"/> is at least 4 the vpmaddubsw results add in int16 and widen once (a run
    /// of 8) or twice, instead of a vpmaddwd and vpaddd per step: the same exact integer in about half the multiplies,
    /// which on AVX2 machines are what the decode loop waits on. Larger weights take <see cref="Step"/> per quad.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector256<int> Block(Vector256<int> start,
        Vector256<byte> w0, Vector256<byte> w1, Vector256<byte> w2, Vector256<byte> w3,
        Vector256<byte> w4, Vector256<byte> w5, Vector256<byte> w6, Vector256<byte> w7, byte* quants, int maxQuant)
    {
        int run = Int16Run(maxQuant);
        if (run < 4)
            return Packed.PackedDot.Chains<MaddubsPackedStep>(start, w0, w1, w2, w3, w4, w5, w6, w7, quants);
        var even = Avx2.MultiplyAddAdjacent(w0, Packed.PackedDot.Broadcast(quants)) + Avx2.MultiplyAddAdjacent(w2, Packed.PackedDot.Broadcast(quants + 8))
            + Avx2.MultiplyAddAdjacent(w4, Packed.PackedDot.Broadcast(quants + 16)) + Avx2.MultiplyAddAdjacent(w6, Packed.PackedDot.Broadcast(quants + 24));
        var odd = Avx2.MultiplyAddAdjacent(w1, Packed.PackedDot.Broadcast(quants + 4)) + Avx2.MultiplyAddAdjacent(w3, Packed.PackedDot.Broadcast(quants + 12))
            + Avx2.MultiplyAddAdjacent(w5, Packed.PackedDot.Broadcast(quants + 20)) + Avx2.MultiplyAddAdjacent(w7, Packed.PackedDot.Broadcast(quants + 28));
        var ones = Vector256.Create((short)1);
        return start + (run >= 8
            ? Avx2.MultiplyAddAdjacent(even + odd, ones)
            : Avx2.MultiplyAddAdjacent(even, ones) + Avx2.MultiplyAddAdjacent(odd, ones));
    }
}

/// <summary>
/// AVX2 for Q8_0: undo the +128 (back to the signed quant), then |w|·(a with w's sign) so vpmaddubsw cannot
/// saturate; the zero point is gone, so no correction.
/// </summary>
internal readonly struct SignedMaddubsPackedStep : IPackedStep
{
    public static bool UsesZeroPoint => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Step(Vector256<int> acc, Vector256<byte> w, Vector256<sbyte> a)
    {
        var signed = Signed(w);
        return MaddubsPackedStep.Step(acc, Avx2.Sign(signed, signed).AsByte(), Avx2.Sign(a, signed));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector256<int> Block(Vector256<int> start,
        Vector256<byte> w0, Vector256<byte> w1, Vector256<byte> w2, Vector256<byte> w3,
        Vector256<byte> w4, Vector256<byte> w5, Vector256<byte> w6, Vector256<byte> w7, byte* quants, int maxQuant)
        => Packed.PackedDot.Chains<SignedMaddubsPackedStep>(start, w0, w1, w2, w3, w4, w5, w6, w7, quants);

    /// <summary>The stored q+128 back to the signed quant q.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> Signed(Vector256<byte> w) => (w ^ Vector256.Create((byte)0x80)).AsSByte();
}
