using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks.Simd;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Packed Q4_K decode on the AVX-512 path, sixteen rows (a <see cref="PackedPair"/> of groups) per pass. The 256-bit
/// kernel (<see cref="PackedScaleMinDot"/>) spends a vpdpbusd and a broadcast on every 32 bytes of one group; this runtime
/// has no 512-bit vpdpbusd, so here each group's chunk is read in full 512-bit vectors as <see cref="PairQ4_0Sum"/>
/// reads Q4_0 — quant vectors k and k+1 in one load, met by activation column quads k and k+1
/// (<see cref="PackedPair.Spread"/>, shared by both groups) — and vpmaddubsw sums each 32-column sub-block in int16: four
/// steps of two products per group, sixteen products per lane once <see cref="PackedPair.Fold"/> joins the halves
/// (nibbles ≤ 15 and Q8_K quants within ±127, so at most 30480: exact). The widening vpmaddwd multiplies by the
/// sub-block's 6-bit scale on the way, so each lane gets exactly the int Σ scale·Σq·a of the 256-bit kernel, and the
/// minimums' term and both FMAs per super-block follow it operation for operation: every row keeps its bits.
/// Software prefetch asks for each 64-byte line as it is read (<see cref="PackedPair.PrefetchAhead"/>). In trial runs
/// outside the repository (alternated call by call in one process, the JIT's profile instrumentation off), this kernel
/// read a matrix larger than the L3 from DRAM a little faster than the 256-bit one on two threads, and ran well ahead of it
/// with the matrix in cache, on one thread and on two.
/// </summary>
internal unsafe struct PackedQ4_KPairKernel : IPackedPairKernel
{
    public int SuperBlocks;
    public PackedKActivations A;

    // A call of its own, fully optimized (see IPackedPairKernel).
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
            acc = SuperBlock(p, partnerOffset, activations, s, acc);
            p += PackedQ4_K.SuperBlockBytes;
        }
        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> SuperBlock(byte* p, long partnerOffset, in PackedKActivations a, int s, Vector512<float> acc)
    {
        PairScaleMin.Unpack(p, partnerOffset, out var scalesLow, out var scalesHigh, out var minsLow, out var minsHigh);
        byte* quants = a.Quants(s);
        byte* q = p + PackedQ4_K.QuantOffset;
        var sum = Chunk(q, partnerOffset, quants, scalesLow, 0)
            + Chunk(q + PackedQ4_K.ChunkBytes, partnerOffset, quants + 64, scalesLow, 2)
            + Chunk(q + 2 * PackedQ4_K.ChunkBytes, partnerOffset, quants + 128, scalesHigh, 0)
            + Chunk(q + 3 * PackedQ4_K.ChunkBytes, partnerOffset, quants + 192, scalesHigh, 2);

        return PairScaleMin.Finish(p, partnerOffset, a, s, sum, minsLow, minsHigh, acc);
    }

    /// <summary>
    /// One chunk of 64 columns for both groups: sub-block 2c in the low nibbles, 2c+1 in the high; each sub-block's sum
    /// times its scale, which is byte <paramref name="scaleByte"/> (low sub-block) or the next (high) of each lane of
    /// <paramref name="scales"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Chunk(byte* q, long partnerOffset, byte* a, Vector512<uint> scales, int scaleByte)
    {
        PackedPair.SpreadChunk(a, out var low01, out var low23, out var low45, out var low67,
            out var high01, out var high23, out var high45, out var high67);

        byte* partner = q + partnerOffset;
        PrefetchChunk(q);
        PackedPair.NibbleSums(q, low01, low23, low45, low67, high01, high23, high45, high67, out var lowA, out var highA);
        PrefetchChunk(partner);
        PackedPair.NibbleSums(partner, low01, low23, low45, low67, high01, high23, high45, high67, out var lowB, out var highB);
        return Avx512Ops.MultiplyAddAdjacent(PackedPair.Fold(lowA, lowB), PairScaleMin.ScaleWords(scales, scaleByte))
            + Avx512Ops.MultiplyAddAdjacent(PackedPair.Fold(highA, highB), PairScaleMin.ScaleWords(scales, scaleByte + 1));
    }

    /// <summary>Asks for the chunk's four lines <see cref="PackedPair.PrefetchBytes"/> ahead of <paramref name="q"/> as it is
    /// read, where the decode kernels ask ahead (<see cref="PackedPair.AsksAhead"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchChunk(byte* q)
    {
        if (!PackedPair.AsksAhead)
            return;
        for (int line = 0; line < PackedQ4_K.ChunkBytes; line += 64)
            Sse.Prefetch0(q + PackedPair.PrefetchBytes + line);
    }
}
