using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks.Simd;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Packed Q3_K decode on the AVX-512 path, sixteen rows (a <see cref="PackedPair"/> of groups) per pass, read as two
/// streams. As in <see cref="PackedQ6_KPairKernel"/>, each 256-bit vector of the layout (<see cref="PackedQ3_K"/>) is
/// joined with its partner's, the 3-bit quants are rebuilt once for sixteen rows, and vpmaddubsw forms the products
/// against broadcast activation quads: quants ≤ 7 against Q8_K activations within ±127 let the four steps of a 16-column
/// sub-block add in int16 (8·7·127 = 7112), and the widening vpmaddwd multiplies by the sub-block's signed scale. Each
/// lane gets exactly the int of the 256-bit kernel (<see cref="PackedQ3_KDot"/>), the offset term and the one FMA per
/// super-block follow it operation for operation, and every row keeps its bits.
/// </summary>
internal unsafe struct PackedQ3_KPairKernel : IPackedPairKernel
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
            PackedPair.PrefetchAhead(low, p - low, partnerOffset, PackedQ3_K.QuantOffset);
            acc = SuperBlock(p, partnerOffset, activations, s, acc);
            p += PackedQ3_K.SuperBlockBytes;
        }
        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> SuperBlock(byte* p, long partnerOffset, in PackedKActivations a, int s, Vector512<float> acc)
    {
        var w0 = PackedPair.Join(p + PackedQ3_K.ScaleOffset, partnerOffset);
        var w1 = PackedPair.Join(p + PackedQ3_K.ScaleOffset + 32, partnerOffset);
        var w2 = PackedPair.Join(p + PackedQ3_K.ScaleOffset + 64, partnerOffset);
        var scales0 = PackedQ3_K.Scales(w0, w2, 0, 0).AsUInt32();
        var scales1 = PackedQ3_K.Scales(w1, w2, 0, 2).AsUInt32();
        var scales2 = PackedQ3_K.Scales(w0, w2, 4, 4).AsUInt32();
        var scales3 = PackedQ3_K.Scales(w1, w2, 4, 6).AsUInt32();
        var offset = PairSignedScales.ZeroPointTerm(scales0, a, s, 0) + PairSignedScales.ZeroPointTerm(scales1, a, s, 1)
            + (PairSignedScales.ZeroPointTerm(scales2, a, s, 2) + PairSignedScales.ZeroPointTerm(scales3, a, s, 3));

        byte* quants = a.Quants(s);
        var sum = Part(p, partnerOffset, 0, 0, quants, scales0, scales1) + Part(p, partnerOffset, 0, 1, quants, scales0, scales1)
            + (Part(p, partnerOffset, 1, 0, quants + 128, scales2, scales3) + Part(p, partnerOffset, 1, 1, quants + 128, scales2, scales3));
        sum -= Vector512.ShiftLeft(offset, 2);
        return Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(sum), PackedPair.Scales(p, partnerOffset) * Vector512.Create(a.Scale(s)), acc);
    }

    /// <summary>
    /// Columns 16·<paramref name="part"/>.. of each 32-column quarter j of half <paramref name="n"/> (steps k =
    /// 4·part..4·part+3): four sub-blocks 8n+2j+part, whose scales are byte 2j+part of <paramref name="low"/> (j &lt; 2)
    /// or byte 2(j−2)+part of <paramref name="high"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Part(byte* p, long partnerOffset, int n, int part, byte* a, Vector512<uint> low, Vector512<uint> high)
    {
        byte* q = p + PackedQ3_K.QuantOffset + 32 * (8 * n + 4 * part);
        byte* h = p + PackedQ3_K.HighBitsOffset + 32 * 4 * part;
        PackedPair.PrefetchAhead(q, 0, partnerOffset, 4 * 32);
        Vector512<short> s0 = default, s1 = default, s2 = default, s3 = default;
        for (int k = 0; k < 4; k++, q += 32, h += 32)
        {
            var quants = PackedPair.Join(q, partnerOffset).AsByte();
            var highBits = PackedPair.Join(h, partnerOffset).AsByte();
            byte* column = a + 4 * (4 * part + k);
            s0 += Avx512Ops.MultiplyAddAdjacent(Quants(quants, highBits, 4 * n, 0), PackedPair.Broadcast(column));
            s1 += Avx512Ops.MultiplyAddAdjacent(Quants(quants, highBits, 4 * n + 1, 2), PackedPair.Broadcast(column + 32));
            s2 += Avx512Ops.MultiplyAddAdjacent(Quants(quants, highBits, 4 * n + 2, 4), PackedPair.Broadcast(column + 64));
            s3 += Avx512Ops.MultiplyAddAdjacent(Quants(quants, highBits, 4 * n + 3, 6), PackedPair.Broadcast(column + 96));
        }
        return Avx512Ops.MultiplyAddAdjacent(s0, PairSignedScales.ScaleWords(low, part))
            + Avx512Ops.MultiplyAddAdjacent(s1, PairSignedScales.ScaleWords(low, 2 + part))
            + (Avx512Ops.MultiplyAddAdjacent(s2, PairSignedScales.ScaleWords(high, part))
            + Avx512Ops.MultiplyAddAdjacent(s3, PairSignedScales.ScaleWords(high, 2 + part)));
    }

    /// <summary>
    /// The unsigned 3-bit quants: bits <paramref name="shift"/>..+1 of the quant bytes as bits 0–1, bit
    /// <paramref name="bit"/> of the high bytes as bit 2. Where the CPU has GFNI each part is one affine transform (byte
    /// 7−i of a matrix names the input bits of output bit i), instead of a shift and a mask.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Quants(Vector512<byte> quants, Vector512<byte> high, int bit, int shift)
    {
        if (Gfni.V512.IsSupported)
            return Avx512Ops.AffineBits(quants, LowBitsMatrix(shift)) | Avx512Ops.AffineBits(high, HighBitMatrix(bit));
        var low = Vector512.ShiftRightLogical(quants.AsUInt16(), shift).AsByte() & Vector512.Create((byte)0x03);
        var moved = bit >= 2 ? Vector512.ShiftRightLogical(high.AsUInt16(), bit - 2) : Vector512.ShiftLeft(high.AsUInt16(), 2 - bit);
        return low | (moved.AsByte() & Vector512.Create((byte)0x04));
    }

    /// <summary><see cref="Quants"/>' GFNI matrix for the quant bytes: output bits 0 and 1 (bytes 7 and 6) name input bits
    /// <paramref name="shift"/> and <paramref name="shift"/>+1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong LowBitsMatrix(int shift) => (1UL << shift) << 56 | (1UL << (shift + 1)) << 48;

    /// <summary><see cref="Quants"/>' GFNI matrix for the high bytes: output bit 2 (byte 5) names input bit <paramref name="bit"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong HighBitMatrix(int bit) => (1UL << bit) << 40;
}
