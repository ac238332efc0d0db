using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks.Simd;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// One super-block of packed Q4_K (<see cref="PackedQ4_K"/>) or Q5_K (<see cref="PackedQ5_K"/>, the same layout plus each
/// quant's fifth bit, <see cref="IFifthBits"/>) against a token, eight rows in the lanes of one vector.
/// Per super-block the integers are ggml's: each 32-column sub-block's exact dot product times its
/// 6-bit scale, summed (Σ scale·Σq·a), and Σ min·(activation sum) — then each row's float chain takes
/// d·d<sub>a</sub> times the first and −dmin·d<sub>a</sub> times the second, one FMA each, in super-block order.
/// </summary>
internal static unsafe class PackedScaleMinDot
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SuperBlock<TStep, TBits>(byte* p, in PackedKActivations a, int s, Vector256<float> acc)
        where TStep : struct, IPackedStep where TBits : struct, IFifthBits
    {
        var scalesLow = ScalesLow(p);
        var scalesHigh = ScalesHigh(p);
        byte* quants = a.Quants(s);
        var sum = Chunk<TStep, TBits>(p, 0, quants, scalesLow, 0) + Chunk<TStep, TBits>(p, 1, quants + 64, scalesLow, 16)
            + Chunk<TStep, TBits>(p, 2, quants + 128, scalesHigh, 0) + Chunk<TStep, TBits>(p, 3, quants + 192, scalesHigh, 16);
        return Finish(p, a, s, sum, MinsLow(p), MinsHigh(p), acc);
    }

    /// <summary>
    /// <see cref="SuperBlock{TStep, TBits}"/> for two groups' super-blocks, the one at <paramref name="p"/> and its partner
    /// <paramref name="partnerOffset"/> bytes on. With the AVX2 step and four-bit quants (int16 runs of 8), each activation
    /// broadcast feeds both groups, which spares half of them in a loop bound by the instructions it issues; otherwise the
    /// two are computed one after the other. Each row's integers and float chain are <see cref="SuperBlock{TStep, TBits}"/>'s.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SuperBlockPair<TStep, TBits>(byte* p, long partnerOffset, in PackedKActivations a, int s,
        ref Vector256<float> accA, ref Vector256<float> accB)
        where TStep : struct, IPackedStep where TBits : struct, IFifthBits
    {
        if (typeof(TStep) != typeof(MaddubsPackedStep) || typeof(TBits) != typeof(NoFifthBits) || MaddubsPackedStep.Int16Run(TBits.MaxQuant) < 8)
        {
            accA = SuperBlock<TStep, TBits>(p, a, s, accA);
            accB = SuperBlock<TStep, TBits>(p + partnerOffset, a, s, accB);
            return;
        }
        FourBitPair(p, partnerOffset, a, s, ref accA, ref accB);
    }

    /// <summary>
    /// <see cref="SuperBlockPair{TStep, TBits}"/> of four-bit quants on the AVX2 step. A call of its own, fully optimized
    /// (see <see cref="IPackedPairKernel"/>): inlined into the decode loop it overran the JIT's inlining budget, its
    /// helpers stayed calls, and the pointers live across them were spilled and reloaded in the inner loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void FourBitPair(byte* p, long partnerOffset, in PackedKActivations a, int s,
        ref Vector256<float> accA, ref Vector256<float> accB)
    {
        byte* quants = a.Quants(s);
        byte* qA = p + PackedQ4_K.QuantOffset, qB = qA + partnerOffset;
        Vector256<int> sumA = default, sumB = default;
        Vector256<int> scalesA = ScalesLow(p), scalesB = ScalesLow(p + partnerOffset);
        for (int chunk = 0; chunk < 4; chunk++, qA += PackedQ4_K.ChunkBytes, qB += PackedQ4_K.ChunkBytes, quants += 64)
        {
            // Each activation broadcast feeds both groups; each group sums a sub-block in one int16 vector (the adds take a
            // cycle; the loop waits on issue, not on them).
            Vector256<short> lowA = default, highA = default, lowB = default, highB = default;
            for (int k = 0; k < 8; k++)
            {
                var xLow = PackedDot.Broadcast(quants + 4 * k);
                var xHigh = PackedDot.Broadcast(quants + 32 + 4 * k);
                var v = Vector256.Load(qA + 32 * k);
                lowA += Avx2.MultiplyAddAdjacent(Nibbles.Low(v), xLow);
                highA += Avx2.MultiplyAddAdjacent(Nibbles.High(v), xHigh);
                v = Vector256.Load(qB + 32 * k);
                lowB += Avx2.MultiplyAddAdjacent(Nibbles.Low(v), xLow);
                highB += Avx2.MultiplyAddAdjacent(Nibbles.High(v), xHigh);
            }
            if (chunk == 0 || chunk == 2)
            {
                sumA += Avx2.MultiplyAddAdjacent(lowA, SpreadScale(scalesA, 0)) + Avx2.MultiplyAddAdjacent(highA, SpreadScale(scalesA, 1));
                sumB += Avx2.MultiplyAddAdjacent(lowB, SpreadScale(scalesB, 0)) + Avx2.MultiplyAddAdjacent(highB, SpreadScale(scalesB, 1));
            }
            else
            {
                sumA += Avx2.MultiplyAddAdjacent(lowA, SpreadScale(scalesA, 2)) + Avx2.MultiplyAddAdjacent(highA, SpreadScale(scalesA, 3));
                sumB += Avx2.MultiplyAddAdjacent(lowB, SpreadScale(scalesB, 2)) + Avx2.MultiplyAddAdjacent(highB, SpreadScale(scalesB, 3));
                if (chunk == 1)
                {
                    scalesA = ScalesHigh(p);
                    scalesB = ScalesHigh(p + partnerOffset);
                }
            }
        }
        accA = Finish(p, a, s, sumA, MinsLow(p), MinsHigh(p), accA);
        accB = Finish(p + partnerOffset, a, s, sumB, MinsLow(p + partnerOffset), MinsHigh(p + partnerOffset), accB);
    }

    // KScales.Unpack, lane by lane: scales 0–3 and mins 0–3 in the low 6 bits of words 0 and 1; scales and mins 4–7 from
    // word 2's nibbles plus the top two bits of words 0 and 1.

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> ScalesLow(byte* p) => (Vector256.Load((uint*)(p + PackedQ4_K.ScaleFieldOffset)) & Vector256.Create(0x3f3f3f3fu)).AsInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> ScalesHigh(byte* p)
    {
        var w0 = Vector256.Load((uint*)(p + PackedQ4_K.ScaleFieldOffset));
        var w2 = Vector256.Load((uint*)(p + PackedQ4_K.ScaleFieldOffset + 64));
        return ((w2 & Vector256.Create(0x0f0f0f0fu)) | Vector256.ShiftLeft(Vector256.ShiftRightLogical(w0, 6) & Vector256.Create(0x03030303u), 4)).AsInt32();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> MinsLow(byte* p) => Vector256.Load((uint*)(p + PackedQ4_K.ScaleFieldOffset + 32)) & Vector256.Create(0x3f3f3f3fu);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> MinsHigh(byte* p)
    {
        var w1 = Vector256.Load((uint*)(p + PackedQ4_K.ScaleFieldOffset + 32));
        var w2 = Vector256.Load((uint*)(p + PackedQ4_K.ScaleFieldOffset + 64));
        return (Vector256.ShiftRightLogical(w2, 4) & Vector256.Create(0x0f0f0f0fu))
            | Vector256.ShiftLeft(Vector256.ShiftRightLogical(w1, 6) & Vector256.Create(0x03030303u), 4);
    }

    /// <summary>A super-block's row terms into the float chain: d·d<sub>a</sub> times the scaled sums, then −dmin·d<sub>a</sub> times Σ min·(activation sum).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Finish(byte* p, in PackedKActivations a, int s, Vector256<int> sum,
        Vector256<uint> minsLow, Vector256<uint> minsHigh, Vector256<float> acc)
    {
        var evenBytes = Vector256.Create(0x00FF00FFu);
        var mins = Avx2.MultiplyAddAdjacent((minsLow & evenBytes).AsInt16(), Vector256.Create(a.SumPair(s, 0)).AsInt16())
            + Avx2.MultiplyAddAdjacent((Vector256.ShiftRightLogical(minsLow, 8) & evenBytes).AsInt16(), Vector256.Create(a.SumPair(s, 1)).AsInt16())
            + Avx2.MultiplyAddAdjacent((minsHigh & evenBytes).AsInt16(), Vector256.Create(a.SumPair(s, 2)).AsInt16())
            + Avx2.MultiplyAddAdjacent((Vector256.ShiftRightLogical(minsHigh, 8) & evenBytes).AsInt16(), Vector256.Create(a.SumPair(s, 3)).AsInt16());

        var scale = Vector256.Create(a.Scale(s));
        acc = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(sum), PackedScales.Load(p) * scale, acc);
        return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(mins), -(PackedScales.Load(p + 16) * scale), acc);
    }

    /// <summary>
    /// 64 columns: sub-block 2c in the low nibbles, 2c+1 in the high. Each sub-block's sum times its scale, which sits in
    /// byte <paramref name="shift"/>/8 (low sub-block) or the next (high) of each lane of <paramref name="scales"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Chunk<TStep, TBits>(byte* p, int chunk, byte* a, Vector256<int> scales, int shift)
        where TStep : struct, IPackedStep where TBits : struct, IFifthBits
    {
        byte* q = p + PackedQ4_K.QuantOffset + chunk * PackedQ4_K.ChunkBytes;
        var byteMask = Vector256.Create(0xFF);
        var lowScale = Vector256.ShiftRightLogical(scales, shift) & byteMask;
        var highScale = Vector256.ShiftRightLogical(scales, shift + 8) & byteMask;
        int run = MaddubsPackedStep.Int16Run(TBits.MaxQuant);
        if (typeof(TStep) == typeof(MaddubsPackedStep) && run >= 4)
            return Int16Chunk<TBits>(p, chunk, q, a, SpreadScale(scales, shift / 8), SpreadScale(scales, shift / 8 + 1), widenOnce: run >= 8);
        Vector256<int> low0 = default, low1 = default, high0 = default, high1 = default;
        for (int k = 0; k < 8; k += 2)
        {
            var v0 = Vector256.Load(q + 32 * k);
            var v1 = Vector256.Load(q + 32 * k + 32);
            var bits0 = TBits.Load(p, k);
            var bits1 = TBits.Load(p, k + 1);
            low0 = TStep.Step(low0, Nibbles.Low(v0) | TBits.Low(bits0, chunk), PackedDot.Broadcast(a + 4 * k));
            high0 = TStep.Step(high0, Nibbles.High(v0) | TBits.High(bits0, chunk), PackedDot.Broadcast(a + 32 + 4 * k));
            low1 = TStep.Step(low1, Nibbles.Low(v1) | TBits.Low(bits1, chunk), PackedDot.Broadcast(a + 4 * k + 4));
            high1 = TStep.Step(high1, Nibbles.High(v1) | TBits.High(bits1, chunk), PackedDot.Broadcast(a + 36 + 4 * k));
        }
        return (low0 + low1) * lowScale + (high0 + high1) * highScale;
    }

    /// <summary>
    /// Byte <paramref name="index"/> of each lane (a row's sub-block scale) zero-extended into both int16 halves of the
    /// lane, by one vpshufb: a scale is below 64, so vpmaddwd against this widens a lane's two int16 sums and scales them
    /// in one step. (Shifting, masking and copying it there took six instructions for two scales.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> SpreadScale(Vector256<int> scales, int index)
    {
        const int zeroHighBytes = unchecked((int)0x80008000);
        var control = Vector256.Create(
            zeroHighBytes | index * 0x10001, zeroHighBytes | (4 + index) * 0x10001,
            zeroHighBytes | (8 + index) * 0x10001, zeroHighBytes | (12 + index) * 0x10001,
            zeroHighBytes | index * 0x10001, zeroHighBytes | (4 + index) * 0x10001,
            zeroHighBytes | (8 + index) * 0x10001, zeroHighBytes | (12 + index) * 0x10001);
        return Avx2.Shuffle(scales.AsByte(), control.AsByte()).AsInt16();
    }

    /// <summary>
    /// <see cref="Chunk{TStep, TBits}"/> for the AVX2 step: each sub-block's vpmaddubsw results add in int16 (runs of four,
    /// or all eight when <paramref name="widenOnce"/>), and one vpmaddwd against the sub-block's scale, in both halves of
    /// each lane, widens and scales them together. The same exact integers as a vpmaddwd, vpaddd and vpmulld per step,
    /// in about a third of the multiplies.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Int16Chunk<TBits>(byte* p, int chunk, byte* q, byte* a, Vector256<short> lowScales, Vector256<short> highScales, bool widenOnce)
        where TBits : struct, IFifthBits
    {
        Vector256<short> low0 = default, low1 = default, high0 = default, high1 = default;
        for (int k = 0; k < 8; k += 2)
        {
            var v0 = Vector256.Load(q + 32 * k);
            var v1 = Vector256.Load(q + 32 * k + 32);
            var bits0 = TBits.Load(p, k);
            var bits1 = TBits.Load(p, k + 1);
            low0 += Avx2.MultiplyAddAdjacent(Nibbles.Low(v0) | TBits.Low(bits0, chunk), PackedDot.Broadcast(a + 4 * k));
            high0 += Avx2.MultiplyAddAdjacent(Nibbles.High(v0) | TBits.High(bits0, chunk), PackedDot.Broadcast(a + 32 + 4 * k));
            low1 += Avx2.MultiplyAddAdjacent(Nibbles.Low(v1) | TBits.Low(bits1, chunk), PackedDot.Broadcast(a + 4 * k + 4));
            high1 += Avx2.MultiplyAddAdjacent(Nibbles.High(v1) | TBits.High(bits1, chunk), PackedDot.Broadcast(a + 36 + 4 * k));
        }
        if (widenOnce)
            return Avx2.MultiplyAddAdjacent(low0 + low1, lowScales) + Avx2.MultiplyAddAdjacent(high0 + high1, highScales);
        return Avx2.MultiplyAddAdjacent(low0, lowScales) + Avx2.MultiplyAddAdjacent(low1, lowScales)
            + Avx2.MultiplyAddAdjacent(high0, highScales) + Avx2.MultiplyAddAdjacent(high1, highScales);
    }
}
