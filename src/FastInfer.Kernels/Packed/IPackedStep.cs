using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
}

/// <summary>vpdpbusd (AVX-VNNI): exact for any unsigned byte.</summary>
internal readonly struct VnniPackedStep : IPackedStep
{
    public static bool UsesZeroPoint => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Step(Vector256<int> acc, Vector256<byte> w, Vector256<sbyte> a)
        => AvxVnni.MultiplyWideningAndAdd(acc, w, a);
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
        var signed = (w ^ Vector256.Create((byte)0x80)).AsSByte();
        return MaddubsPackedStep.Step(acc, Avx2.Sign(signed, signed).AsByte(), Avx2.Sign(a, signed));
    }
}
