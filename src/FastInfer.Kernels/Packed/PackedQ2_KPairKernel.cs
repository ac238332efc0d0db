using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks.Simd;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Packed Q2_K decode on the AVX-512 path, sixteen rows (a <see cref="PackedPair"/> of groups) per pass, read as two
/// streams, in the manner of <see cref="PackedQ3_KPairKernel"/> without the high bits: each 256-bit vector of the layout
/// (<see cref="PackedQ2_K"/>) is joined with its partner's, vpmaddubsw multiplies the 2-bit quants by broadcast
/// activation quads, the four steps of a 16-column sub-block add in int16 (8·3·127 = 3048), and the widening vpmaddwd
/// multiplies by the sub-block's 4-bit scale. Each lane gets exactly the ints of the 256-bit kernel
/// (<see cref="PackedQ2_KDot"/>), the two FMAs per super-block follow it operation for operation, and every row keeps
/// its bits.
/// </summary>
internal unsafe struct PackedQ2_KPairKernel : IPackedPairKernel
{
    public int SuperBlocks;
    public PackedKActivations A;

    // A call of its own, fully optimized (see IPackedPairKernel); the loop is PackedQ4_KPairKernel's (see PackedQ6_KPairKernel).
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
            PackedPair.PrefetchAhead(low, p - low, partnerOffset, PackedQ2_K.QuantOffset);
            acc = SuperBlock(p, partnerOffset, activations, s, acc);
            p += PackedQ2_K.SuperBlockBytes;
        }
        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> SuperBlock(byte* p, long partnerOffset, in PackedKActivations a, int s, Vector512<float> acc)
    {
        byte* scales = p + PackedQ2_K.ScaleOffset;
        var scales0 = PackedPair.Join(scales, partnerOffset);
        var scales1 = PackedPair.Join(scales + 32, partnerOffset);
        var scales2 = PackedPair.Join(scales + 64, partnerOffset);
        var scales3 = PackedPair.Join(scales + 96, partnerOffset);
        var mins = MinimumTerm(scales0, a, s, 0) + MinimumTerm(scales1, a, s, 1)
            + (MinimumTerm(scales2, a, s, 2) + MinimumTerm(scales3, a, s, 3));

        var nibble = Vector512.Create(0x0F0F0F0Fu);
        byte* quants = a.Quants(s);
        var sum = Part(p, partnerOffset, 0, 0, quants, scales0 & nibble, scales1 & nibble)
            + Part(p, partnerOffset, 0, 1, quants, scales0 & nibble, scales1 & nibble)
            + (Part(p, partnerOffset, 1, 0, quants + 128, scales2 & nibble, scales3 & nibble)
            + Part(p, partnerOffset, 1, 1, quants + 128, scales2 & nibble, scales3 & nibble));
        var scale = Vector512.Create(a.Scale(s));
        acc = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(sum), PackedPair.Scales(p, partnerOffset) * scale, acc);
        return Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(mins), -(PackedPair.Scales(p + 16, partnerOffset) * scale), acc);
    }

    /// <summary>Σ min·(activation sum) over sub-blocks 4i..4i+3, as <see cref="PackedQ2_KDot"/> forms it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> MinimumTerm(Vector512<uint> fourScales, in PackedKActivations a, int s, int i)
    {
        var mins = Vector512.ShiftRightLogical(fourScales, 4) & Vector512.Create(0x0F0F0F0Fu);
        var even = (mins & Vector512.Create(0x00FF00FFu)).AsInt16();
        var odd = Vector512.ShiftRightLogical(mins, 8).AsInt16() & Vector512.Create((short)0x00FF);
        return Avx512Ops.MultiplyAddAdjacent(even, Vector512.Create(a.SumPair16(s, 2 * i)).AsInt16())
            + Avx512Ops.MultiplyAddAdjacent(odd, Vector512.Create(a.SumPair16(s, 2 * i + 1)).AsInt16());
    }

    /// <summary>
    /// Columns 16·<paramref name="part"/>.. of each 32-column quarter j of half <paramref name="n"/> (steps k =
    /// 4·part..4·part+3): four sub-blocks 8n+2j+part, whose scales (low nibbles already) are byte 2j+part of
    /// <paramref name="low"/> (j &lt; 2) or byte 2(j−2)+part of <paramref name="high"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Part(byte* p, long partnerOffset, int n, int part, byte* a, Vector512<uint> low, Vector512<uint> high)
    {
        byte* q = p + PackedQ2_K.QuantOffset + 32 * (8 * n + 4 * part);
        PackedPair.PrefetchAhead(q, 0, partnerOffset, 4 * 32);
        var twoBits = Vector512.Create((byte)0x03);
        Vector512<short> s0 = default, s1 = default, s2 = default, s3 = default;
        for (int k = 0; k < 4; k++, q += 32)
        {
            var quants = PackedPair.Join(q, partnerOffset).AsUInt16();
            byte* column = a + 4 * (4 * part + k);
            s0 += Avx512Ops.MultiplyAddAdjacent(quants.AsByte() & twoBits, PackedPair.Broadcast(column));
            s1 += Avx512Ops.MultiplyAddAdjacent(Vector512.ShiftRightLogical(quants, 2).AsByte() & twoBits, PackedPair.Broadcast(column + 32));
            s2 += Avx512Ops.MultiplyAddAdjacent(Vector512.ShiftRightLogical(quants, 4).AsByte() & twoBits, PackedPair.Broadcast(column + 64));
            s3 += Avx512Ops.MultiplyAddAdjacent(Vector512.ShiftRightLogical(quants, 6).AsByte() & twoBits, PackedPair.Broadcast(column + 96));
        }
        return Avx512Ops.MultiplyAddAdjacent(s0, PairScaleMin.ScaleWords(low, part))
            + Avx512Ops.MultiplyAddAdjacent(s1, PairScaleMin.ScaleWords(low, 2 + part))
            + (Avx512Ops.MultiplyAddAdjacent(s2, PairScaleMin.ScaleWords(high, part))
            + Avx512Ops.MultiplyAddAdjacent(s3, PairScaleMin.ScaleWords(high, 2 + part)));
    }
}
