using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Q6_K's AVX2 decode step: <see cref="PackedQ6_KDot"/>'s integers with fewer multiplies. A six-bit quant times an
/// activation allows two vpmaddubsw results per int16 lane (2·2·63·128 = 32256), so each sub-block's four steps add in
/// pairs and one vpmaddwd against the sub-block's scale, sign-extended into both halves of each lane, widens and scales
/// each pair; the loops instead widened every step against ones, added in int32 and multiplied by the scale with
/// vpmulld. Each quarter of the super-block (a part of a half) is a fully optimized method of its own, as Q5_K's halves
/// are (<see cref="PackedQ5_KMaddubsDot"/>), so that the JIT's inlining budget covers it.
/// </summary>
internal static unsafe class PackedQ6_KMaddubsDot
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SuperBlock(byte* p, in PackedKActivations a, int s, Vector256<float> acc)
    {
        byte* scales = p + PackedQ6_K.ScaleOffset;
        byte* q = p + PackedQ6_K.QuantOffset;
        byte* x = a.Quants(s);
        var sum = FirstPart(q, x, scales) + SecondPart(q + 4 * PackedQ6_K.StepBytes, x + 16, scales)
            + FirstPart(q + 8 * PackedQ6_K.StepBytes, x + 128, scales + 64) + SecondPart(q + 12 * PackedQ6_K.StepBytes, x + 144, scales + 64);
        return Finish(p, a, s, sum, acc);
    }

    /// <summary>
    /// <see cref="SuperBlock"/> of two groups' super-blocks at once (<see cref="PackedSuperBlockMatVec{TFormat, TStep}"/>
    /// reads group i of a run's first half beside group i of its second half): each activation broadcast feeds both. Two
    /// groups' eight int16 sums each would not fit the sixteen registers, so a pair part walks its quarters two at a time
    /// and its steps two at a time (<see cref="QuartersPair"/>), loading each step's qh vectors twice; the int32 sums
    /// differ from <see cref="SuperBlock"/>'s only in the order of exact additions, so the bits are the same.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SuperBlockPair(byte* pa, byte* pb, in PackedKActivations a, int s, ref Vector256<float> accA, ref Vector256<float> accB)
    {
        long apart = pb - pa;
        byte* q = pa + PackedQ6_K.QuantOffset;
        byte* x = a.Quants(s);
        byte* scales = pa + PackedQ6_K.ScaleOffset;
        var sumA = FirstPartPair(q, apart, x, scales, out var sumB);
        sumA += SecondPartPair(q + 4 * PackedQ6_K.StepBytes, apart, x + 16, scales, out var partB);
        sumB += partB;
        sumA += FirstPartPair(q + 8 * PackedQ6_K.StepBytes, apart, x + 128, scales + 64, out partB);
        sumB += partB;
        sumA += SecondPartPair(q + 12 * PackedQ6_K.StepBytes, apart, x + 144, scales + 64, out partB);
        sumB += partB;
        accA = Finish(pa, a, s, sumA, accA);
        accB = Finish(pb, a, s, sumB, accB);
    }

    /// <summary>Takes the zero point's term from a super-block's quant sum and adds its float term to the row chains.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Finish(byte* p, in PackedKActivations a, int s, Vector256<int> sum, Vector256<float> acc)
    {
        byte* scales = p + PackedQ6_K.ScaleOffset;
        var zeroPoint = PackedQ6_KDot.ScaledSums(Vector256.Load(scales).AsSByte(), a, s, 0)
            + PackedQ6_KDot.ScaledSums(Vector256.Load(scales + 32).AsSByte(), a, s, 1)
            + PackedQ6_KDot.ScaledSums(Vector256.Load(scales + 64).AsSByte(), a, s, 2)
            + PackedQ6_KDot.ScaledSums(Vector256.Load(scales + 96).AsSByte(), a, s, 3);
        sum -= Vector256.ShiftLeft(zeroPoint, 5);
        return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(sum), PackedScales.Load(p) * Vector256.Create(a.Scale(s)), acc);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector256<int> FirstPartPair(byte* q, long apart, byte* x, byte* halfScales, out Vector256<int> sumB)
        => PartPair(q, apart, x, halfScales, 0, out sumB);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector256<int> SecondPartPair(byte* q, long apart, byte* x, byte* halfScales, out Vector256<int> sumB)
        => PartPair(q, apart, x, halfScales, 1, out sumB);

    /// <summary>
    /// <see cref="Part"/> of both groups (group B <paramref name="apart"/> bytes after A), as two passes over its four steps:
    /// quarters 0 and 2, which take their low bits from the steps' first ql vectors, then quarters 1 and 3 from the second.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> PartPair(byte* q, long apart, byte* x, byte* halfScales, int part, out Vector256<int> sumB)
    {
        var sumA = QuartersPair(q, apart, x, halfScales, part, 0, out sumB);
        sumA += QuartersPair(q, apart, x, halfScales, part, 1, out var laterB);
        sumB += laterB;
        return sumA;
    }

    /// <summary>
    /// Quarters <paramref name="quarter"/> and <paramref name="quarter"/> + 2 (a constant) of a part in both groups: two
    /// steps at a time, whose quads add in int16 as <see cref="Part"/> adds them, each pair widened against the quarters'
    /// sub-block scales. The first pass asks for the steps' lines.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> QuartersPair(byte* q, long apart, byte* x, byte* halfScales, int part, int quarter, out Vector256<int> sumB)
    {
        int index = 2 * quarter + part;
        var lowScales = Vector256.Load((int*)halfScales);
        var highScales = Vector256.Load((int*)(halfScales + 32));
        var scaleA = SignedScale(lowScales, index);
        var scaleA2 = SignedScale(highScales, index);
        var scaleB = SignedScale(Vector256.Load((int*)(halfScales + apart)), index);
        var scaleB2 = SignedScale(Vector256.Load((int*)(halfScales + apart + 32)), index);
        var sumA = TwoSteps(q, apart, x, quarter, scaleA, scaleA2, scaleB, scaleB2, out sumB);
        sumA += TwoSteps(q + 2 * PackedQ6_K.StepBytes, apart, x + 8, quarter, scaleA, scaleA2, scaleB, scaleB2, out var laterB);
        sumB += laterB;
        return sumA;
    }

    /// <summary>Two steps of quarters <paramref name="quarter"/> and <paramref name="quarter"/> + 2 in both groups, widened.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> TwoSteps(byte* q, long apart, byte* x, int quarter, Vector256<short> scaleA, Vector256<short> scaleA2,
        Vector256<short> scaleB, Vector256<short> scaleB2, out Vector256<int> sumB)
    {
        Vector256<short> lowA = default, highA = default, lowB = default, highB = default;
        QuartersStep(q, apart, x, quarter, ref lowA, ref highA, ref lowB, ref highB);
        QuartersStep(q + PackedQ6_K.StepBytes, apart, x + 4, quarter, ref lowA, ref highA, ref lowB, ref highB);
        sumB = Avx2.MultiplyAddAdjacent(lowB, scaleB) + Avx2.MultiplyAddAdjacent(highB, scaleB2);
        return Avx2.MultiplyAddAdjacent(lowA, scaleA) + Avx2.MultiplyAddAdjacent(highA, scaleA2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void QuartersStep(byte* q, long apart, byte* x, int quarter, ref Vector256<short> lowA, ref Vector256<short> highA,
        ref Vector256<short> lowB, ref Vector256<short> highB)
    {
        if (quarter == 0)
        {
            PackedPrefetch.LineOf(q + 32);
            PackedPrefetch.LineOf(q + 95);
            PackedPrefetch.LineOf(q + apart + 32);
            PackedPrefetch.LineOf(q + apart + 95);
        }
        var xLow = PackedDot.Broadcast(x + 32 * quarter);
        var xHigh = PackedDot.Broadcast(x + 32 * (quarter + 2));
        var la = Vector256.Load(q + 32 * quarter);
        var ha = Vector256.Load(q + 64);
        lowA += Avx2.MultiplyAddAdjacent(QuarterQuants(la, ha, quarter), xLow);
        highA += Avx2.MultiplyAddAdjacent(QuarterQuants(la, ha, quarter + 2), xHigh);
        var lb = Vector256.Load(q + apart + 32 * quarter);
        var hb = Vector256.Load(q + apart + 64);
        lowB += Avx2.MultiplyAddAdjacent(QuarterQuants(lb, hb, quarter), xLow);
        highB += Avx2.MultiplyAddAdjacent(QuarterQuants(lb, hb, quarter + 2), xHigh);
    }

    /// <summary>The six-bit quants of quarter <paramref name="quarter"/> (a constant) of a step, from its ql vector for
    /// that quarter and its qh vector, as <see cref="Step"/> unpacks them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> QuarterQuants(Vector256<byte> l, Vector256<byte> qh, int quarter)
    {
        var h = qh.AsUInt16();
        var nibble = Vector256.Create((byte)0x0F);
        var low = quarter < 2 ? l & nibble : Vector256.ShiftRightLogical(l.AsUInt16(), 4).AsByte() & nibble;
        var high = quarter switch
        {
            0 => Vector256.ShiftLeft(h, 4),
            1 => Vector256.ShiftLeft(h, 2),
            2 => h,
            _ => Vector256.ShiftRightLogical(h, 2),
        };
        return low | (high.AsByte() & Vector256.Create((byte)0x30));
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector256<int> FirstPart(byte* q, byte* x, byte* halfScales) => Part(q, x, halfScales, 0);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector256<int> SecondPart(byte* q, byte* x, byte* halfScales) => Part(q, x, halfScales, 1);

    /// <summary>
    /// Columns 16·<paramref name="part"/>.. of each of a half's four 32-column quarters: four steps, each giving the four
    /// quarters' column quads (as <see cref="PackedQ6_KDot"/> unpacks them); quarter j's sub-block has scale 2j+part of
    /// the half, byte (2j+part) mod 4 of the first (j &lt; 2) or second word of each lane of <paramref name="halfScales"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Part(byte* q, byte* x, byte* halfScales, int part)
    {
        Vector256<short> first0 = default, first1 = default, first2 = default, first3 = default;
        Vector256<short> second0 = default, second1 = default, second2 = default, second3 = default;
        Step(q, x, ref first0, ref first1, ref first2, ref first3);
        Step(q + PackedQ6_K.StepBytes, x + 4, ref first0, ref first1, ref first2, ref first3);
        Step(q + 2 * PackedQ6_K.StepBytes, x + 8, ref second0, ref second1, ref second2, ref second3);
        Step(q + 3 * PackedQ6_K.StepBytes, x + 12, ref second0, ref second1, ref second2, ref second3);
        var low = Vector256.Load((int*)halfScales);
        var high = Vector256.Load((int*)(halfScales + 32));
        var scale0 = SignedScale(low, part);
        var scale1 = SignedScale(low, 2 + part);
        var scale2 = SignedScale(high, part);
        var scale3 = SignedScale(high, 2 + part);
        return (Avx2.MultiplyAddAdjacent(first0, scale0) + Avx2.MultiplyAddAdjacent(second0, scale0))
            + (Avx2.MultiplyAddAdjacent(first1, scale1) + Avx2.MultiplyAddAdjacent(second1, scale1))
            + ((Avx2.MultiplyAddAdjacent(first2, scale2) + Avx2.MultiplyAddAdjacent(second2, scale2))
            + (Avx2.MultiplyAddAdjacent(first3, scale3) + Avx2.MultiplyAddAdjacent(second3, scale3)));
    }

    /// <summary>One step: the four quarters' quads of columns 4k.. (<paramref name="q"/> at the step), each against its
    /// activation bytes, added into the quarters' int16 pair sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(byte* q, byte* x, ref Vector256<short> s0, ref Vector256<short> s1, ref Vector256<short> s2, ref Vector256<short> s3)
    {
        // The step's 96 bytes span two or three lines: those of its middle and last bytes, and the line of its first,
        // which the step before asked for (or the super-block's scale lines, before the first step).
        PackedPrefetch.LineOf(q + 32);
        PackedPrefetch.LineOf(q + 95);
        var l0 = Vector256.Load(q);
        var l1 = Vector256.Load(q + 32);
        var h = Vector256.Load(q + 64);
        var nibble = Vector256.Create((byte)0x0F);
        var bits45 = Vector256.Create((byte)0x30);
        s0 += Avx2.MultiplyAddAdjacent((l0 & nibble) | (Vector256.ShiftLeft(h.AsUInt16(), 4).AsByte() & bits45), PackedDot.Broadcast(x));
        s1 += Avx2.MultiplyAddAdjacent((l1 & nibble) | (Vector256.ShiftLeft(h.AsUInt16(), 2).AsByte() & bits45), PackedDot.Broadcast(x + 32));
        s2 += Avx2.MultiplyAddAdjacent((Vector256.ShiftRightLogical(l0.AsUInt16(), 4).AsByte() & nibble) | (h & bits45), PackedDot.Broadcast(x + 64));
        s3 += Avx2.MultiplyAddAdjacent((Vector256.ShiftRightLogical(l1.AsUInt16(), 4).AsByte() & nibble) | (Vector256.ShiftRightLogical(h.AsUInt16(), 2).AsByte() & bits45), PackedDot.Broadcast(x + 96));
    }

    /// <summary>
    /// Signed byte <paramref name="index"/> (a constant) of each lane, sign-extended into both int16 halves of the lane:
    /// one vpshufb puts it in each half's high byte and an arithmetic shift brings it down.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<short> SignedScale(Vector256<int> fourScales, int index)
    {
        // Per lane L: bytes (0x80, 4L+index, 0x80, 4L+index); 0x80 yields zero.
        int control(int lane) => 0x80 | (4 * lane + index) << 8 | 0x80 << 16 | (4 * lane + index) << 24;
        var picks = Vector256.Create(control(0), control(1), control(2), control(3), control(0), control(1), control(2), control(3)).AsByte();
        return Vector256.ShiftRightArithmetic(Avx2.Shuffle(fourScales.AsByte(), picks).AsInt16(), 8);
    }
}
