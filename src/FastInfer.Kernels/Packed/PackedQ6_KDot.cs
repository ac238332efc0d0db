using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// One super-block of packed Q6_K (<see cref="PackedQ6_K"/>) against a token, eight rows in the lanes of one vector. Per super-block the
/// integer is ggml's: Σ scale·(Σ q·a) over the sixteen 16-column sub-blocks, minus 32·Σ scale·(activation sum) for the
/// zero point; each row's float chain then takes d·d<sub>a</sub> times it, one FMA per super-block in order. The AVX-VNNI
/// step runs this; the AVX2 step runs <see cref="PackedQ6_KMaddubsDot"/>, the same integers with fewer multiplies. Decode asks
/// for the lines <see cref="PackedPrefetch.Distance"/> ahead step by step as it reads (<see cref="PackedQ6_K.Dot"/>).
/// </summary>
internal static unsafe class PackedQ6_KDot
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SuperBlock<TStep>(byte* p, in PackedKActivations a, int s, Vector256<float> acc) where TStep : struct, IPackedStep
    {
        byte* scales = p + PackedQ6_K.ScaleOffset;
        byte* quants = a.Quants(s);
        var sum = Vector256<int>.Zero;
        var zeroPoint = Vector256<int>.Zero;
        for (int i = 0; i < 4; i++)
            zeroPoint += ScaledSums(Vector256.Load(scales + 32 * i).AsSByte(), a, s, i);
        byte* q = p + PackedQ6_K.QuantOffset;
        for (int half = 0; half < 2; half++)
        {
            // Scales 8h..8h+7 of this half: quarter k's two sub-blocks are 8h+2k (l < 16) and 8h+2k+1 (l ≥ 16).
            var low = Vector256.Load((int*)(scales + 64 * half));
            var high = Vector256.Load((int*)(scales + 64 * half + 32));
            sum += Part<TStep>(q + half * 8 * PackedQ6_K.StepBytes, quants + 128 * half, low, high, 0)
                + Part<TStep>(q + (half * 8 + 4) * PackedQ6_K.StepBytes, quants + 128 * half + 16, low, high, 1);
        }
        sum -= Vector256.ShiftLeft(zeroPoint, 5);
        return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(sum), PackedScales.Load(p) * Vector256.Create(a.Scale(s)), acc);
    }

    /// <summary>
    /// Columns 16·<paramref name="part"/>.. of each of a half's four quarters (k = 4·part..4·part+3): four sub-blocks,
    /// each sum times its scale — scale 2k'+part of the half, k' the quarter, in byte (2k'+part) mod 4 of
    /// <paramref name="low"/> (k' &lt; 2) or <paramref name="high"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Part<TStep>(byte* q, byte* a, Vector256<int> low, Vector256<int> high, int part) where TStep : struct, IPackedStep
    {
        Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default;
        var nibble = Vector256.Create((byte)0x0F);
        var bits45 = Vector256.Create((byte)0x30);
        for (int k = 0; k < 4; k++, q += PackedQ6_K.StepBytes, a += 4)
        {
            // The step's 96 bytes span two or three lines: those of its middle and last bytes, and the line of its first,
            // which the step before asked for (or the super-block's scale lines, before the first step).
            PackedPrefetch.LineOf(q + 32);
            PackedPrefetch.LineOf(q + 95);
            var l0 = Vector256.Load(q);
            var l1 = Vector256.Load(q + 32);
            var h = Vector256.Load(q + 64);
            // Quarter k' takes qh bits 2k'..2k'+1 into bits 4–5; 16-bit shifts are safe as the mask keeps only bits that
            // came from the same byte.
            var q0 = (l0 & nibble) | (Vector256.ShiftLeft(h.AsUInt16(), 4).AsByte() & bits45);
            var q1 = (l1 & nibble) | (Vector256.ShiftLeft(h.AsUInt16(), 2).AsByte() & bits45);
            var q2 = (Vector256.ShiftRightLogical(l0.AsUInt16(), 4).AsByte() & nibble) | (h & bits45);
            var q3 = (Vector256.ShiftRightLogical(l1.AsUInt16(), 4).AsByte() & nibble) | (Vector256.ShiftRightLogical(h.AsUInt16(), 2).AsByte() & bits45);
            s0 = TStep.Step(s0, q0, PackedDot.Broadcast(a));
            s1 = TStep.Step(s1, q1, PackedDot.Broadcast(a + 32));
            s2 = TStep.Step(s2, q2, PackedDot.Broadcast(a + 64));
            s3 = TStep.Step(s3, q3, PackedDot.Broadcast(a + 96));
        }
        return s0 * Scale(low, part) + s1 * Scale(low, 2 + part) + s2 * Scale(high, part) + s3 * Scale(high, 2 + part);
    }

    /// <summary>
    /// Σ scale·(activation sum) over sub-blocks 4i..4i+3 (the zero point's or offset's term), lane r holding row r's
    /// signed scales 4i..4i+3: split into the int16 pairs (4i, 4i+2) and (4i+1, 4i+3), sign-extended, against the
    /// matching pairs of 16-column sums. Q3_K's kernel (<see cref="PackedQ3_KDot"/>) shares it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> ScaledSums(Vector256<sbyte> fourScales, in PackedKActivations a, int s, int i)
    {
        var words = fourScales.AsInt16();
        var even = Vector256.ShiftRightArithmetic(Vector256.ShiftLeft(words, 8), 8);
        var odd = Vector256.ShiftRightArithmetic(words, 8);
        return Avx2.MultiplyAddAdjacent(even, Vector256.Create(a.SumPair16(s, 2 * i)).AsInt16())
            + Avx2.MultiplyAddAdjacent(odd, Vector256.Create(a.SumPair16(s, 2 * i + 1)).AsInt16());
    }

    /// <summary>Signed byte <paramref name="index"/> of each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Scale(Vector256<int> fourScales, int index)
        => Vector256.ShiftRightArithmetic(Vector256.ShiftLeft(fourScales, 24 - 8 * index), 24);
}
