using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks.Simd;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Packed Q6_K decode on the AVX-512 path, sixteen rows (a <see cref="PackedPair"/> of groups) per pass, read as two
/// streams. Each 256-bit vector of the layout (<see cref="PackedQ6_K"/>) is joined with its partner's into one 512-bit
/// vector, so the 6-bit quants are rebuilt once for sixteen rows instead of once per eight. This runtime has no 512-bit
/// vpdpbusd, so the products are vpmaddubsw's: two products per int16, and two steps (four columns each) added in int16
/// before the widening vpmaddwd — quants ≤ 63 and Q8_K activations within ±127 keep that sum within 4·63·127 = 32004,
/// exact. That vpmaddwd multiplies by the sub-block's signed scale on the way (<see cref="PairSignedScales.ScaleWords"/>), so each lane
/// gets exactly the int Σ scale·Σq·a of the 256-bit kernel (<see cref="PackedQ6_KDot"/>); the zero-point term and the
/// one FMA per super-block follow it operation for operation, and every row keeps its bits. The 256-bit kernel is
/// bound by its arithmetic here: from the L2 it reads fewer bytes per second on one thread than DRAM delivers to one.
/// Alternated with the previous build, `bench-kernels` put matrix-vector Q6_K at 84, 85, 86% of the read bandwidth
/// against 66, 81, 86%, and tinyllama-1.1b Q4_K_M (whose output, some value and some down projections are Q6_K)
/// decoded 49.8, 54.1, 53.9, 53.2 tok/s against 45.8, 48.7, 51.4, 48.3 (`fastinfer generate`, 128 tokens, two threads).
/// </summary>
internal unsafe struct PackedQ6_KPairKernel : IPackedPairKernel
{
    public int SuperBlocks;
    public PackedKActivations A;

    // A call of its own, fully optimized (see IPackedPairKernel). The loop is PackedQ4_KPairKernel's, not shared through
    // a generic kernel over the super-block: in a trial harness, with the super-block inlined into that kernel the JIT's
    // inlining budget ran out one level deeper and the Q4_K kernel's chunks stayed calls, far slower; with the
    // super-block a call of its own, Q4_K and Q5_K read from the L2 slower than with this copy of the loop.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public readonly Vector512<float> Pair(byte* low, long partnerOffset)
    {
        // Read once: the kernel sits in the job on the calling thread's stack, which every pool thread reads through a pointer.
        var activations = A;
        int superBlocks = SuperBlocks;
        var acc = Vector512<float>.Zero;
        byte* p = low;
        for (int s = 0; s < superBlocks; s++)
        {
            // Super-blocks are not line-aligned; asking for every 64 bytes of each contiguous span still names every line.
            PackedPair.PrefetchAhead(low, p - low, partnerOffset, PackedQ6_K.QuantOffset);
            acc = SuperBlock(p, partnerOffset, activations, s, acc);
            p += PackedQ6_K.SuperBlockBytes;
        }
        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> SuperBlock(byte* p, long partnerOffset, in PackedKActivations a, int s, Vector512<float> acc)
    {
        byte* scales = p + PackedQ6_K.ScaleOffset;
        var scales0 = PackedPair.Join(scales, partnerOffset);
        var scales1 = PackedPair.Join(scales + 32, partnerOffset);
        var scales2 = PackedPair.Join(scales + 64, partnerOffset);
        var scales3 = PackedPair.Join(scales + 96, partnerOffset);
        var zeroPoint = PairSignedScales.ZeroPointTerm(scales0, a, s, 0) + PairSignedScales.ZeroPointTerm(scales1, a, s, 1)
            + (PairSignedScales.ZeroPointTerm(scales2, a, s, 2) + PairSignedScales.ZeroPointTerm(scales3, a, s, 3));

        byte* quants = a.Quants(s);
        byte* q = p + PackedQ6_K.QuantOffset;
        var sum = FirstPart(q, partnerOffset, quants, scales0, scales1)
            + SecondPart(q + 4 * PackedQ6_K.StepBytes, partnerOffset, quants + 16, scales0, scales1)
            + (FirstPart(q + 8 * PackedQ6_K.StepBytes, partnerOffset, quants + 128, scales2, scales3)
            + SecondPart(q + 12 * PackedQ6_K.StepBytes, partnerOffset, quants + 144, scales2, scales3));
        sum -= Vector512.ShiftLeft(zeroPoint, 5);
        return Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(sum), PackedPair.Scales(p, partnerOffset) * Vector512.Create(a.Scale(s)), acc);
    }

    /// <summary>
    /// Columns 16·<paramref name="part"/>.. of each of a half's four 32-column quarters (steps k = 4·part..4·part+3 of
    /// the half): four sub-blocks, sub-block j's scale being byte 2j+part of the half's scales — in
    /// <paramref name="low"/> for j &lt; 2, in <paramref name="high"/> for j ≥ 2. Two steps' int16 products are added
    /// before each widening multiply (four products per int16: exact, see the type's remarks).
    /// </summary>
    // Each part a call of its own: inlined four times into Pair, the parts overran the JIT's inlining budget there, and
    // their helpers (even vpmaddwd's wrapper) stayed calls passing vectors through the stack. One method per part keeps
    // the part a constant, so the scales' shuffle controls stay constants too rather than being built on every call.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector512<int> FirstPart(byte* q, long partnerOffset, byte* a, Vector512<uint> low, Vector512<uint> high)
        => Part(q, partnerOffset, a, low, high, 0);

    /// <inheritdoc cref="FirstPart"/>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector512<int> SecondPart(byte* q, long partnerOffset, byte* a, Vector512<uint> low, Vector512<uint> high)
        => Part(q, partnerOffset, a, low, high, 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Part(byte* q, long partnerOffset, byte* a, Vector512<uint> low, Vector512<uint> high, int part)
    {
        PackedPair.PrefetchAhead(q, 0, partnerOffset, 4 * PackedQ6_K.StepBytes);
        var scale0 = PairSignedScales.ScaleWords(low, part);
        var scale1 = PairSignedScales.ScaleWords(low, 2 + part);
        var scale2 = PairSignedScales.ScaleWords(high, part);
        var scale3 = PairSignedScales.ScaleWords(high, 2 + part);
        Step(q, partnerOffset, a, out var p0, out var p1, out var p2, out var p3);
        Step(q + PackedQ6_K.StepBytes, partnerOffset, a + 4, out var r0, out var r1, out var r2, out var r3);
        var sum = Avx512Ops.MultiplyAddAdjacent(p0 + r0, scale0) + Avx512Ops.MultiplyAddAdjacent(p1 + r1, scale1)
            + (Avx512Ops.MultiplyAddAdjacent(p2 + r2, scale2) + Avx512Ops.MultiplyAddAdjacent(p3 + r3, scale3));
        Step(q + 2 * PackedQ6_K.StepBytes, partnerOffset, a + 8, out p0, out p1, out p2, out p3);
        Step(q + 3 * PackedQ6_K.StepBytes, partnerOffset, a + 12, out r0, out r1, out r2, out r3);
        return sum + (Avx512Ops.MultiplyAddAdjacent(p0 + r0, scale0) + Avx512Ops.MultiplyAddAdjacent(p1 + r1, scale1)
            + (Avx512Ops.MultiplyAddAdjacent(p2 + r2, scale2) + Avx512Ops.MultiplyAddAdjacent(p3 + r3, scale3)));
    }

    /// <summary>
    /// One step (columns 4k.. of the half's four quarters) for sixteen rows: the quants rebuilt as
    /// <see cref="PackedQ6_KDot"/> rebuilds them, quarter j's against activation bytes 32j+4k.. broadcast, two products per
    /// int16 (at most 2·63·127).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(byte* q, long partnerOffset, byte* a,
        out Vector512<short> p0, out Vector512<short> p1, out Vector512<short> p2, out Vector512<short> p3)
    {
        var l0 = PackedPair.Join(q, partnerOffset).AsByte();
        var l1 = PackedPair.Join(q + 32, partnerOffset).AsByte();
        var h = PackedPair.Join(q + 64, partnerOffset).AsByte();
        var nibble = Vector512.Create((byte)0x0F);
        var bits45 = Vector512.Create((byte)0x30);
        // Quarter j takes qh bits 2j..2j+1 into bits 4–5; 16-bit shifts are safe as the mask keeps only bits that came
        // from the same byte.
        var q0 = (l0 & nibble) | (Vector512.ShiftLeft(h.AsUInt16(), 4).AsByte() & bits45);
        var q1 = (l1 & nibble) | (Vector512.ShiftLeft(h.AsUInt16(), 2).AsByte() & bits45);
        var q2 = (Vector512.ShiftRightLogical(l0.AsUInt16(), 4).AsByte() & nibble) | (h & bits45);
        var q3 = (Vector512.ShiftRightLogical(l1.AsUInt16(), 4).AsByte() & nibble) | (Vector512.ShiftRightLogical(h.AsUInt16(), 2).AsByte() & bits45);
        p0 = Avx512Ops.MultiplyAddAdjacent(q0, PackedPair.Broadcast(a));
        p1 = Avx512Ops.MultiplyAddAdjacent(q1, PackedPair.Broadcast(a + 32));
        p2 = Avx512Ops.MultiplyAddAdjacent(q2, PackedPair.Broadcast(a + 64));
        p3 = Avx512Ops.MultiplyAddAdjacent(q3, PackedPair.Broadcast(a + 96));
    }
}
