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
/// <see cref="SuperBlock"/> is the loop form, which the AVX-VNNI step (vpdpbusd) runs; the AVX2 step runs the flat kernels
/// <see cref="PackedQ4_KMaddubsDot"/> and <see cref="PackedQ5_KMaddubsDot"/>, which share the scale unpacking, the
/// finish and the scale spreading here.
/// </summary>
internal static unsafe class PackedScaleMinDot
{
    /// <summary>Super-block <paramref name="s"/> at <paramref name="p"/> (<paramref name="superBlockBytes"/> long: Q4_K's or
    /// Q5_K's), asking for a quarter of its lines <see cref="PackedPrefetch.Distance"/> ahead before each chunk.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SuperBlock<TStep, TBits>(byte* p, int superBlockBytes, in PackedKActivations a, int s, Vector256<float> acc)
        where TStep : struct, IPackedStep where TBits : struct, IFifthBits
    {
        UnpackScales(p, out var scalesLow, out var scalesHigh, out var minsLow, out var minsHigh);
        byte* quants = a.Quants(s);
        // One call site in a loop rather than four: inlined four times, the chunks overran the JIT's inlining budget.
        var sum = Vector256<int>.Zero;
        for (int chunk = 0; chunk < 4; chunk++)
        {
            PackedPrefetch.Share(p, superBlockBytes / 64, chunk, 4);
            sum += Chunk<TStep, TBits>(p, chunk, quants + 64 * chunk, chunk < 2 ? scalesLow : scalesHigh, 16 * (chunk & 1));
        }
        return Finish(p, a, s, sum, minsLow, minsHigh, acc);
    }

    /// <summary>
    /// Super-block <paramref name="s"/> of two groups at once (<see cref="PackedSuperBlockMatVec{TFormat, TStep}"/> reads
    /// group i of a run's first half beside group i of its second half), the AVX2 flat kernels' halves given by
    /// <typeparamref name="THalves"/>: each group's int sums and float chain are the one-group kernel's, so the bits are
    /// the same.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SuperBlockPair<THalves>(byte* pa, byte* pb, in PackedKActivations a, int s, ref Vector256<float> accA, ref Vector256<float> accB)
        where THalves : IScaleMinPairHalves
    {
        UnpackScales(pa, out var scalesLowA, out var scalesHighA, out var minsLowA, out var minsHighA);
        UnpackScales(pb, out var scalesLowB, out var scalesHighB, out var minsLowB, out var minsHighB);
        byte* x = a.Quants(s);
        var sumA = THalves.First(pa, pb, x, scalesLowA, scalesLowB, out var sumB);
        sumA += THalves.Second(pa, pb, x, scalesHighA, scalesHighB, out var laterB);
        sumB += laterB;
        accA = Finish(pa, a, s, sumA, minsLowA, minsHighA, accA);
        accB = Finish(pb, a, s, sumB, minsLowB, minsHighB, accB);
    }

    /// <summary>
    /// <see cref="KScales"/>'s unpacking, lane by lane: scales 0–3 and mins 0–3 in the low 6 bits of words 0 and 1; scales
    /// and mins 4–7 from word 2's nibbles plus the top two bits of words 0 and 1. Each result holds four of a lane's eight
    /// (sub-blocks 0–3 in the Low ones, 4–7 in the High), a byte each.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void UnpackScales(byte* p, out Vector256<int> scalesLow, out Vector256<int> scalesHigh, out Vector256<uint> minsLow, out Vector256<uint> minsHigh)
    {
        var w0 = Vector256.Load((uint*)(p + PackedQ4_K.ScaleFieldOffset));
        var w1 = Vector256.Load((uint*)(p + PackedQ4_K.ScaleFieldOffset + 32));
        var w2 = Vector256.Load((uint*)(p + PackedQ4_K.ScaleFieldOffset + 64));
        var sixBits = Vector256.Create(0x3f3f3f3fu);
        var nibble = Vector256.Create(0x0f0f0f0fu);
        var twoBits = Vector256.Create(0x03030303u);
        scalesLow = (w0 & sixBits).AsInt32();
        minsLow = w1 & sixBits;
        scalesHigh = ((w2 & nibble) | Vector256.ShiftLeft(Vector256.ShiftRightLogical(w0, 6) & twoBits, 4)).AsInt32();
        minsHigh = (Vector256.ShiftRightLogical(w2, 4) & nibble) | Vector256.ShiftLeft(Vector256.ShiftRightLogical(w1, 6) & twoBits, 4);
    }

    /// <summary>The super-block's term in each row's float chain, from its scaled sums and its minimums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Finish(byte* p, in PackedKActivations a, int s, Vector256<int> sum, Vector256<uint> minsLow, Vector256<uint> minsHigh, Vector256<float> acc)
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
    /// in one step. (Shifting, masking and copying each scale there took three instructions.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<short> SpreadScale(Vector256<int> scales, int index)
    {
        // Controls that pick byte 0 of each lane into both int16 halves, with 0x80 (which yields zero) for the high bytes;
        // adding the index moves each pick to byte index and leaves bit 7 of the 0x80 controls set.
        const int zeroHighBytes = unchecked((int)0x80008000);
        var byteZero = Vector256.Create(zeroHighBytes, zeroHighBytes | 4 * 0x10001, zeroHighBytes | 8 * 0x10001, zeroHighBytes | 12 * 0x10001,
            zeroHighBytes, zeroHighBytes | 4 * 0x10001, zeroHighBytes | 8 * 0x10001, zeroHighBytes | 12 * 0x10001).AsByte();
        return Avx2.Shuffle(scales.AsByte(), byteZero + Vector256.Create((byte)index)).AsInt16();
    }
}
