using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// One super-block of packed Q3_K (<see cref="PackedQ3_K"/>) against a token, eight rows in the lanes of one vector. Per
/// super-block the integer is ggml's: Σ scale·(Σ q·a) over the sixteen 16-column sub-blocks, with the quants unsigned
/// (0..7), minus 4·Σ scale·(activation sum) for the offset; each row's float chain then takes d·d<sub>a</sub> times it,
/// one FMA per super-block in order.
/// </summary>
internal static unsafe class PackedQ3_KDot
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SuperBlock<TStep>(byte* p, in PackedKActivations a, int s, Vector256<float> acc) where TStep : struct, IPackedStep
    {
        var w0 = Vector256.Load((uint*)(p + PackedQ3_K.ScaleOffset));
        var w1 = Vector256.Load((uint*)(p + PackedQ3_K.ScaleOffset + 32));
        var w2 = Vector256.Load((uint*)(p + PackedQ3_K.ScaleOffset + 64));
        var scales0 = PackedQ3_K.Scales(w0, w2, 0, 0);
        var scales1 = PackedQ3_K.Scales(w1, w2, 0, 2);
        var scales2 = PackedQ3_K.Scales(w0, w2, 4, 4);
        var scales3 = PackedQ3_K.Scales(w1, w2, 4, 6);
        var offset = PackedQ6_KDot.ScaledSums(scales0, a, s, 0) + PackedQ6_KDot.ScaledSums(scales1, a, s, 1)
            + PackedQ6_KDot.ScaledSums(scales2, a, s, 2) + PackedQ6_KDot.ScaledSums(scales3, a, s, 3);

        byte* quants = a.Quants(s);
        var sum = Half<TStep>(p, 0, quants, scales0, scales1) + Half<TStep>(p, 1, quants + 128, scales2, scales3);
        sum -= Vector256.ShiftLeft(offset, 2);
        return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(sum), PackedScales.Load(p) * Vector256.Create(a.Scale(s)), acc);
    }

    /// <summary>
    /// Half <paramref name="n"/> (columns 128n..): for each 32-column quarter j, columns 4k.. (k &lt; 4) are sub-block
    /// 8n+2j, the rest 8n+2j+1 — byte 2j (or 2j+1) of <paramref name="low"/> for j &lt; 2, byte 2j−4 (or 2j−3) of
    /// <paramref name="high"/> otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Half<TStep>(byte* p, int n, byte* a, Vector256<sbyte> low, Vector256<sbyte> high) where TStep : struct, IPackedStep
    {
        if (typeof(TStep) == typeof(MaddubsPackedStep))
            return PairedQuarter(p, n, 0, a, low.AsInt32(), high.AsInt32()) + PairedQuarter(p, n, 1, a + 16, low.AsInt32(), high.AsInt32());
        var sum = Vector256<int>.Zero;
        for (int part = 0; part < 2; part++)
        {
            Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int k = 4 * part; k < 4 * part + 4; k++)
            {
                var q = Vector256.Load(p + PackedQ3_K.QuantOffset + 32 * (8 * n + k));
                var h = Vector256.Load(p + PackedQ3_K.HighBitsOffset + 32 * k);
                s0 = TStep.Step(s0, Quants(q, h, n, 0), PackedDot.Broadcast(a + 4 * k));
                s1 = TStep.Step(s1, Quants(q, h, n, 1), PackedDot.Broadcast(a + 32 + 4 * k));
                s2 = TStep.Step(s2, Quants(q, h, n, 2), PackedDot.Broadcast(a + 64 + 4 * k));
                s3 = TStep.Step(s3, Quants(q, h, n, 3), PackedDot.Broadcast(a + 96 + 4 * k));
            }
            sum += s0 * PackedQ6_KDot.Scale(low.AsInt32(), part) + s1 * PackedQ6_KDot.Scale(low.AsInt32(), 2 + part)
                + s2 * PackedQ6_KDot.Scale(high.AsInt32(), part) + s3 * PackedQ6_KDot.Scale(high.AsInt32(), 2 + part);
        }
        return sum;
    }

    /// <summary>
    /// <see cref="Half{TStep}"/>'s part <paramref name="part"/> for AVX2 (activations of its first column from
    /// <paramref name="a"/>): each sub-block's four vpmaddubsw results add in int16 (at most 4·2·7·128 = 7168) and one
    /// vpmaddwd against the signed scale spread into both halves of each lane widens and scales them, where a vpmaddwd
    /// against ones per step and a vpmulld per sub-block did.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> PairedQuarter(byte* p, int n, int part, byte* a, Vector256<int> low, Vector256<int> high)
    {
        byte* q = p + PackedQ3_K.QuantOffset + 32 * (8 * n + 4 * part);
        byte* h = p + PackedQ3_K.HighBitsOffset + 32 * 4 * part;
        Vector256<short> s0 = default, s1 = default, s2 = default, s3 = default;
        for (int k = 0; k < 4; k++, q += 32, h += 32, a += 4)
        {
            var v = Vector256.Load(q);
            var hv = Vector256.Load(h);
            s0 += Avx2.MultiplyAddAdjacent(Quants(v, hv, n, 0), PackedDot.Broadcast(a));
            s1 += Avx2.MultiplyAddAdjacent(Quants(v, hv, n, 1), PackedDot.Broadcast(a + 32));
            s2 += Avx2.MultiplyAddAdjacent(Quants(v, hv, n, 2), PackedDot.Broadcast(a + 64));
            s3 += Avx2.MultiplyAddAdjacent(Quants(v, hv, n, 3), PackedDot.Broadcast(a + 96));
        }
        return Avx2.MultiplyAddAdjacent(s0, PackedQ6_KMaddubsDot.SignedScale(low, part))
            + Avx2.MultiplyAddAdjacent(s1, PackedQ6_KMaddubsDot.SignedScale(low, 2 + part))
            + Avx2.MultiplyAddAdjacent(s2, PackedQ6_KMaddubsDot.SignedScale(high, part))
            + Avx2.MultiplyAddAdjacent(s3, PackedQ6_KMaddubsDot.SignedScale(high, 2 + part));
    }

    /// <summary>Quarter <paramref name="j"/>'s unsigned quants: bits 2j..2j+1 of the quant bytes, bit 4n+j of the high bytes as bit 2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Quants(Vector256<byte> q, Vector256<byte> h, int n, int j)
    {
        int bit = 4 * n + j;
        var high = bit >= 2 ? Vector256.ShiftRightLogical(h.AsUInt16(), bit - 2) : Vector256.ShiftLeft(h.AsUInt16(), 2 - bit);
        return (Vector256.ShiftRightLogical(q.AsUInt16(), 2 * j).AsByte() & Vector256.Create((byte)0x03)) | (high.AsByte() & Vector256.Create((byte)0x04));
    }
}
