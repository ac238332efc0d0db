using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks.Simd;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Packed Q5_K decode on the AVX-512 path, sixteen rows (a <see cref="PackedPair"/> of groups) per pass, read as two
/// streams: <see cref="PackedQ4_KPairKernel"/>'s walk over the same layout, with each nibble's fifth bit
/// (<see cref="PackedQ5_K"/>) set into bit 4 before vpmaddubsw. Quants up to 31 against Q8_K activations within ±127
/// allow eight products per int16 lane (8·31·127 = 31496), not Q4_K's sixteen, so each 32-column sub-block is summed
/// as two halves of sixteen columns, each folded and widened on its own (the widening vpmaddwd multiplies by the
/// sub-block's scale as for Q4_K): each lane gets exactly the int Σ scale·Σq·a of the 256-bit kernel
/// (<see cref="PackedScaleMinDot"/>), and the minimums' term and both FMAs follow it operation for operation
/// (<see cref="PairScaleMin"/>), so every row keeps its bits.
/// </summary>
internal unsafe struct PackedQ5_KPairKernel : IPackedPairKernel
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
            PackedPair.PrefetchAhead(low, p - low, partnerOffset, PackedQ4_K.QuantOffset);
            PackedPair.PrefetchAhead(low, p + PackedQ5_K.HighBitsOffset - low, partnerOffset, PackedQ5_K.SuperBlockBytes - PackedQ5_K.HighBitsOffset);
            acc = SuperBlock(p, partnerOffset, activations, s, acc);
            p += PackedQ5_K.SuperBlockBytes;
        }
        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> SuperBlock(byte* p, long partnerOffset, in PackedKActivations a, int s, Vector512<float> acc)
    {
        PairScaleMin.Unpack(p, partnerOffset, out var scalesLow, out var scalesHigh, out var minsLow, out var minsHigh);
        byte* quants = a.Quants(s);
        var sum = Chunk(p, partnerOffset, 0, quants, PairScaleMin.ScaleWords(scalesLow, 0), PairScaleMin.ScaleWords(scalesLow, 1))
            + Chunk(p, partnerOffset, 1, quants + 64, PairScaleMin.ScaleWords(scalesLow, 2), PairScaleMin.ScaleWords(scalesLow, 3))
            + Chunk(p, partnerOffset, 2, quants + 128, PairScaleMin.ScaleWords(scalesHigh, 0), PairScaleMin.ScaleWords(scalesHigh, 1))
            + Chunk(p, partnerOffset, 3, quants + 192, PairScaleMin.ScaleWords(scalesHigh, 2), PairScaleMin.ScaleWords(scalesHigh, 3));
        return PairScaleMin.Finish(p, partnerOffset, a, s, sum, minsLow, minsHigh, acc);
    }

    /// <summary>
    /// Chunk <paramref name="chunk"/> (64 columns) for both groups: sub-block 2c in the low nibbles with fifth bit 2c,
    /// 2c+1 in the high nibbles with bit 2c+1; each sub-block's sum times its scale, spread as vpmaddwd's operand in
    /// <paramref name="lowScale"/> (sub-block 2c) and <paramref name="highScale"/> (2c+1).
    /// </summary>
    // A call of its own: inlined four times into Pair, the chunks overran the JIT's inlining budget there, and their
    // helpers (even vpmaddwd's wrapper) stayed calls passing vectors through the stack. The caller spreads the scales,
    // whose shuffle controls are constants only there.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector512<int> Chunk(byte* p, long partnerOffset, int chunk, byte* a, Vector512<short> lowScale, Vector512<short> highScale)
    {
        PackedPair.SpreadChunk(a, out var low01, out var low23, out var low45, out var low67,
            out var high01, out var high23, out var high45, out var high67);

        byte* q = p + PackedQ4_K.QuantOffset + chunk * PackedQ4_K.ChunkBytes;
        byte* bits = p + PackedQ5_K.HighBitsOffset;
        PackedPair.PrefetchAhead(q, 0, partnerOffset, PackedQ4_K.ChunkBytes);
        Half(q, bits, 2 * chunk, low01, low23, high01, high23, out var lowA, out var highA);
        Half(q + partnerOffset, bits + partnerOffset, 2 * chunk, low01, low23, high01, high23, out var lowB, out var highB);
        var sum = Avx512Ops.MultiplyAddAdjacent(PackedPair.Fold(lowA, lowB), lowScale)
            + Avx512Ops.MultiplyAddAdjacent(PackedPair.Fold(highA, highB), highScale);
        Half(q + 128, bits + 128, 2 * chunk, low45, low67, high45, high67, out lowA, out highA);
        Half(q + partnerOffset + 128, bits + partnerOffset + 128, 2 * chunk, low45, low67, high45, high67, out lowB, out highB);
        return sum + (Avx512Ops.MultiplyAddAdjacent(PackedPair.Fold(lowA, lowB), lowScale)
            + Avx512Ops.MultiplyAddAdjacent(PackedPair.Fold(highA, highB), highScale));
    }

    /// <summary>
    /// One group's int16 sums over four quant vectors (two 512-bit loads at <paramref name="q"/>, their fifth bits at
    /// <paramref name="bits"/>): <paramref name="low"/> from the low nibbles with bit <paramref name="lowBit"/>,
    /// <paramref name="high"/> from the high nibbles with the next bit; four products per lane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Half(byte* q, byte* bits, int lowBit,
        Vector512<sbyte> low01, Vector512<sbyte> low23, Vector512<sbyte> high01, Vector512<sbyte> high23,
        out Vector512<short> low, out Vector512<short> high)
    {
        var v01 = Vector512.Load(q);
        var v23 = Vector512.Load(q + 64);
        var h01 = Vector512.Load(bits);
        var h23 = Vector512.Load(bits + 64);
        low = PackedPair.Products(PackedPair.LowNibbles(v01) | BitToFour(h01, lowBit), low01)
            + PackedPair.Products(PackedPair.LowNibbles(v23) | BitToFour(h23, lowBit), low23);
        high = PackedPair.Products(PackedPair.HighNibbles(v01) | BitToFour(h01, lowBit + 1), high01)
            + PackedPair.Products(PackedPair.HighNibbles(v23) | BitToFour(h23, lowBit + 1), high23);
    }

    /// <summary>Bit <paramref name="bit"/> of each byte moved to bit 4, the rest cleared: one GFNI affine transform (output
    /// bit 4 takes input bit <paramref name="bit"/>, byte 3 of the matrix) where the CPU has it, a shift and a mask otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> BitToFour(Vector512<byte> v, int bit)
    {
        if (Gfni.V512.IsSupported)
            return Avx512Ops.AffineBits(v, BitToFourMatrix(bit));
        var moved = bit <= 4 ? Vector512.ShiftLeft(v.AsUInt16(), 4 - bit) : Vector512.ShiftRightLogical(v.AsUInt16(), bit - 4);
        return moved.AsByte() & Vector512.Create((byte)0x10);
    }

    /// <summary><see cref="BitToFour"/>'s GFNI matrix: byte 3 (output bit 4) names input bit <paramref name="bit"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong BitToFourMatrix(int bit) => (1UL << bit) << 24;
}
