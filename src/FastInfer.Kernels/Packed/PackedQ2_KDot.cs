using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// One super-block of packed Q2_K (<see cref="PackedQ2_K"/>) against a token, eight rows in the lanes of one vector.
/// Per super-block the integers are ggml's: Σ scale·(Σ q·a) over the sixteen 16-column sub-blocks, and
/// Σ min·(activation sum); each row's float chain then takes d·d<sub>a</sub> times the first and −dmin·d<sub>a</sub>
/// times the second, one FMA each, in super-block order.
/// </summary>
internal static unsafe class PackedQ2_KDot
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SuperBlock<TStep>(byte* p, in PackedKActivations a, int s, Vector256<float> acc) where TStep : struct, IPackedStep
    {
        byte* scales = p + PackedQ2_K.ScaleOffset;
        var scales0 = Vector256.Load((uint*)scales);
        var scales1 = Vector256.Load((uint*)(scales + 32));
        var scales2 = Vector256.Load((uint*)(scales + 64));
        var scales3 = Vector256.Load((uint*)(scales + 96));
        var mins = MinimumTerm(scales0, a, s, 0) + MinimumTerm(scales1, a, s, 1) + MinimumTerm(scales2, a, s, 2) + MinimumTerm(scales3, a, s, 3);

        byte* quants = a.Quants(s);
        var sum = Half<TStep>(p, 0, quants, scales0, scales1) + Half<TStep>(p, 1, quants + 128, scales2, scales3);
        var scale = Vector256.Create(a.Scale(s));
        acc = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(sum), PackedScales.Load(p) * scale, acc);
        return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(mins), -(PackedScales.Load(p + 16) * scale), acc);
    }

    /// <summary>Σ min·(activation sum) over sub-blocks 4i..4i+3: each lane's four minimums (high nibbles) as the int16
    /// pairs (4i, 4i+2) and (4i+1, 4i+3) against the matching pairs of 16-column sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> MinimumTerm(Vector256<uint> fourScales, in PackedKActivations a, int s, int i)
    {
        var mins = Vector256.ShiftRightLogical(fourScales, 4) & Vector256.Create(0x0F0F0F0Fu);
        var even = (mins & Vector256.Create(0x00FF00FFu)).AsInt16();
        var odd = Vector256.ShiftRightLogical(mins, 8).AsInt16() & Vector256.Create((short)0x00FF);
        return Avx2.MultiplyAddAdjacent(even, Vector256.Create(a.SumPair16(s, 2 * i)).AsInt16())
            + Avx2.MultiplyAddAdjacent(odd, Vector256.Create(a.SumPair16(s, 2 * i + 1)).AsInt16());
    }

    /// <summary>
    /// Half <paramref name="n"/> (columns 128n..): for each 32-column quarter j, columns 4k.. (k &lt; 4) are sub-block
    /// 8n+2j, the rest 8n+2j+1, whose scale is the low nibble of byte 2j (or 2j+1) of <paramref name="low"/> for j &lt; 2,
    /// of byte 2j−4 (or 2j−3) of <paramref name="high"/> otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Half<TStep>(byte* p, int n, byte* a, Vector256<uint> low, Vector256<uint> high) where TStep : struct, IPackedStep
    {
        if (typeof(TStep) == typeof(MaddubsPackedStep))
        {
            byte* q = p + PackedQ2_K.QuantOffset + 32 * 8 * n;
            var lowScales = (low & Vector256.Create(0x0F0F0F0Fu)).AsInt32();
            var highScales = (high & Vector256.Create(0x0F0F0F0Fu)).AsInt32();
            return PairedQuarter(q, a, lowScales, highScales, 0) + PairedQuarter(q + 128, a + 16, lowScales, highScales, 1);
        }
        var sum = Vector256<int>.Zero;
        var twoBits = Vector256.Create((byte)0x03);
        for (int part = 0; part < 2; part++)
        {
            Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int k = 4 * part; k < 4 * part + 4; k++)
            {
                var q = Vector256.Load(p + PackedQ2_K.QuantOffset + 32 * (8 * n + k)).AsUInt16();
                s0 = TStep.Step(s0, q.AsByte() & twoBits, PackedDot.Broadcast(a + 4 * k));
                s1 = TStep.Step(s1, Vector256.ShiftRightLogical(q, 2).AsByte() & twoBits, PackedDot.Broadcast(a + 32 + 4 * k));
                s2 = TStep.Step(s2, Vector256.ShiftRightLogical(q, 4).AsByte() & twoBits, PackedDot.Broadcast(a + 64 + 4 * k));
                s3 = TStep.Step(s3, Vector256.ShiftRightLogical(q, 6).AsByte() & twoBits, PackedDot.Broadcast(a + 96 + 4 * k));
            }
            sum += s0 * Scale(low, part) + s1 * Scale(low, 2 + part) + s2 * Scale(high, part) + s3 * Scale(high, 2 + part);
        }
        return sum;
    }

    /// <summary>
    /// <see cref="Half{TStep}"/>'s part <paramref name="part"/> for AVX2 (quant vectors 4·part.. from <paramref name="q"/>,
    /// activations of its first column from <paramref name="a"/>): each sub-block's four vpmaddubsw results add in int16
    /// (at most 4·2·3·128 = 3072) and one vpmaddwd against the scale spread into both halves of each lane widens and
    /// scales them, where a vpmaddwd against ones per step and a vpmulld per sub-block did.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> PairedQuarter(byte* q, byte* a, Vector256<int> lowScales, Vector256<int> highScales, int part)
    {
        var twoBits = Vector256.Create((byte)0x03);
        Vector256<short> s0 = default, s1 = default, s2 = default, s3 = default;
        for (int k = 0; k < 4; k++, q += 32, a += 4)
        {
            var v = Vector256.Load(q).AsUInt16();
            s0 += Avx2.MultiplyAddAdjacent(v.AsByte() & twoBits, PackedDot.Broadcast(a));
            s1 += Avx2.MultiplyAddAdjacent(Vector256.ShiftRightLogical(v, 2).AsByte() & twoBits, PackedDot.Broadcast(a + 32));
            s2 += Avx2.MultiplyAddAdjacent(Vector256.ShiftRightLogical(v, 4).AsByte() & twoBits, PackedDot.Broadcast(a + 64));
            s3 += Avx2.MultiplyAddAdjacent(Vector256.ShiftRightLogical(v, 6).AsByte() & twoBits, PackedDot.Broadcast(a + 96));
        }
        return Avx2.MultiplyAddAdjacent(s0, PackedScaleMinDot.SpreadScale(lowScales, part))
            + Avx2.MultiplyAddAdjacent(s1, PackedScaleMinDot.SpreadScale(lowScales, 2 + part))
            + Avx2.MultiplyAddAdjacent(s2, PackedScaleMinDot.SpreadScale(highScales, part))
            + Avx2.MultiplyAddAdjacent(s3, PackedScaleMinDot.SpreadScale(highScales, 2 + part));
    }

    /// <summary>The low nibble of byte <paramref name="index"/> of each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Scale(Vector256<uint> fourScales, int index)
        => (Vector256.ShiftRightLogical(fourScales, 8 * index) & Vector256.Create(0x0Fu)).AsInt32();
}
