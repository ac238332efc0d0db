using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks.Simd;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Q4_K's AVX2 decode step: <see cref="PackedScaleMinDot"/>'s integers for vpmaddubsw, written out flat for the nibbles
/// alone (no fifth bit), and asking for the super-block's 18 lines two or three at a time among its loads.
/// <para>
/// Both differences were timed in session 14's trial harness on the Zen 3, which alternated the variants call by call.
/// Flat code issues about a third fewer instructions than <see cref="PackedScaleMinDot"/>'s loops (their index arithmetic
/// and scale picks), which made it faster from cache; but from DRAM, with all 18 requests before the loads as the other
/// formats asked, it was slower than the loops. Spread among the loads, the same requests made it faster from DRAM than
/// the loops on one thread and on two.
/// </para>
/// </summary>
internal static unsafe class PackedQ4_KMaddubsDot
{
    private const int Lines = PackedQ4_K.SuperBlockBytes / 64;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SuperBlock(byte* p, in PackedKActivations a, int s, Vector256<float> acc)
    {
        PackedScaleMinDot.UnpackScales(p, out var scalesLow, out var scalesHigh, out var minsLow, out var minsHigh);
        byte* x = a.Quants(s);
        var sum = Chunk(p, 0, x, scalesLow) + Chunk(p, 1, x, scalesLow);
        sum += Chunk(p, 2, x, scalesHigh) + Chunk(p, 3, x, scalesHigh);
        return PackedScaleMinDot.Finish(p, a, s, sum, minsLow, minsHigh, acc);
    }

    /// <summary>
    /// <see cref="SuperBlock"/> of two groups' super-blocks at once, through <see cref="PackedScaleMinDot.SuperBlockPair{THalves}"/>:
    /// each activation broadcast feeds both groups, and each group's int sums and float chain are <see cref="SuperBlock"/>'s.
    /// </summary>
    public readonly struct PairHalves : IScaleMinPairHalves
    {
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public static Vector256<int> First(byte* pa, byte* pb, byte* x, Vector256<int> scalesA, Vector256<int> scalesB, out Vector256<int> sumB)
            => HalfPair(pa, pb, 0, x, scalesA, scalesB, out sumB);

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public static Vector256<int> Second(byte* pa, byte* pb, byte* x, Vector256<int> scalesA, Vector256<int> scalesB, out Vector256<int> sumB)
            => HalfPair(pa, pb, 2, x, scalesA, scalesB, out sumB);
    }

    /// <summary>Chunks <paramref name="firstChunk"/> and <paramref name="firstChunk"/> + 1 (a constant) of both super-blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> HalfPair(byte* pa, byte* pb, int firstChunk, byte* x, Vector256<int> scalesA, Vector256<int> scalesB, out Vector256<int> sumB)
    {
        ChunkPair(pa, pb, firstChunk, x, scalesA, scalesB, out var sumA, out sumB);
        ChunkPair(pa, pb, firstChunk + 1, x, scalesA, scalesB, out var laterA, out var laterB);
        sumB += laterB;
        return sumA + laterA;
    }

    /// <summary><see cref="Chunk"/> of both super-blocks, vector by vector, so few weight vectors are live at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ChunkPair(byte* pa, byte* pb, int chunk, byte* x, Vector256<int> scalesA, Vector256<int> scalesB,
        out Vector256<int> sumA, out Vector256<int> sumB)
    {
        byte* qa = pa + PackedQ4_K.QuantOffset + chunk * PackedQ4_K.ChunkBytes;
        long apart = pb - pa;
        x += 64 * chunk;
        Vector256<short> lowA = default, highA = default, lowB = default, highB = default;
        PackedPrefetch.Share(pa, Lines, 2 * chunk, 8);
        PackedPrefetch.Share(pb, Lines, 2 * chunk, 8);
        Columns(qa, apart, 0, x, ref lowA, ref highA, ref lowB, ref highB);
        Columns(qa, apart, 1, x, ref lowA, ref highA, ref lowB, ref highB);
        Columns(qa, apart, 2, x, ref lowA, ref highA, ref lowB, ref highB);
        Columns(qa, apart, 3, x, ref lowA, ref highA, ref lowB, ref highB);
        PackedPrefetch.Share(pa, Lines, 2 * chunk + 1, 8);
        PackedPrefetch.Share(pb, Lines, 2 * chunk + 1, 8);
        Columns(qa, apart, 4, x, ref lowA, ref highA, ref lowB, ref highB);
        Columns(qa, apart, 5, x, ref lowA, ref highA, ref lowB, ref highB);
        Columns(qa, apart, 6, x, ref lowA, ref highA, ref lowB, ref highB);
        Columns(qa, apart, 7, x, ref lowA, ref highA, ref lowB, ref highB);
        int pick = 2 * (chunk & 1);
        sumA = Avx2.MultiplyAddAdjacent(lowA, PackedScaleMinDot.SpreadScale(scalesA, pick))
            + Avx2.MultiplyAddAdjacent(highA, PackedScaleMinDot.SpreadScale(scalesA, pick + 1));
        sumB = Avx2.MultiplyAddAdjacent(lowB, PackedScaleMinDot.SpreadScale(scalesB, pick))
            + Avx2.MultiplyAddAdjacent(highB, PackedScaleMinDot.SpreadScale(scalesB, pick + 1));
    }

    /// <summary>Vector <paramref name="k"/> of a chunk in both super-blocks: its low nibbles (columns 4k.. of the chunk's first
    /// sub-block) and high nibbles (the second sub-block's) into the four int16 runs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Columns(byte* qa, long apart, int k, byte* x, ref Vector256<short> lowA, ref Vector256<short> highA,
        ref Vector256<short> lowB, ref Vector256<short> highB)
    {
        var lowNibbles = Vector256.Create((byte)0x0F);
        var va = Vector256.Load(qa + 32 * k);
        var vb = Vector256.Load(qa + apart + 32 * k);
        var xl = PackedDot.Broadcast(x + 4 * k);
        lowA += Avx2.MultiplyAddAdjacent(va & lowNibbles, xl);
        lowB += Avx2.MultiplyAddAdjacent(vb & lowNibbles, xl);
        var xh = PackedDot.Broadcast(x + 32 + 4 * k);
        highA += Avx2.MultiplyAddAdjacent(Nibbles.High(va), xh);
        highB += Avx2.MultiplyAddAdjacent(Nibbles.High(vb), xh);
    }

    /// <summary>
    /// Chunk <paramref name="chunk"/>'s 64 columns (<see cref="PackedQ4_K"/>: sub-block 2c in the low nibbles, 2c+1 in the
    /// high), each sub-block's eight vpmaddubsw results added in int16 (at most 8·2·15·128 = 30720) and widened by one
    /// vpmaddwd against its scale.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Chunk(byte* p, int chunk, byte* x, Vector256<int> scales)
    {
        byte* q = p + PackedQ4_K.QuantOffset + chunk * PackedQ4_K.ChunkBytes;
        x += 64 * chunk;
        var lowNibbles = Vector256.Create((byte)0x0F);
        PackedPrefetch.Share(p, Lines, 2 * chunk, 8);
        var v0 = Vector256.Load(q);
        var v1 = Vector256.Load(q + 32);
        var v2 = Vector256.Load(q + 64);
        var v3 = Vector256.Load(q + 96);
        var low = (Avx2.MultiplyAddAdjacent(v0 & lowNibbles, PackedDot.Broadcast(x)) + Avx2.MultiplyAddAdjacent(v1 & lowNibbles, PackedDot.Broadcast(x + 4)))
            + (Avx2.MultiplyAddAdjacent(v2 & lowNibbles, PackedDot.Broadcast(x + 8)) + Avx2.MultiplyAddAdjacent(v3 & lowNibbles, PackedDot.Broadcast(x + 12)));
        var high = (Avx2.MultiplyAddAdjacent(Nibbles.High(v0), PackedDot.Broadcast(x + 32)) + Avx2.MultiplyAddAdjacent(Nibbles.High(v1), PackedDot.Broadcast(x + 36)))
            + (Avx2.MultiplyAddAdjacent(Nibbles.High(v2), PackedDot.Broadcast(x + 40)) + Avx2.MultiplyAddAdjacent(Nibbles.High(v3), PackedDot.Broadcast(x + 44)));
        PackedPrefetch.Share(p, Lines, 2 * chunk + 1, 8);
        var v4 = Vector256.Load(q + 128);
        var v5 = Vector256.Load(q + 160);
        var v6 = Vector256.Load(q + 192);
        var v7 = Vector256.Load(q + 224);
        low += (Avx2.MultiplyAddAdjacent(v4 & lowNibbles, PackedDot.Broadcast(x + 16)) + Avx2.MultiplyAddAdjacent(v5 & lowNibbles, PackedDot.Broadcast(x + 20)))
            + (Avx2.MultiplyAddAdjacent(v6 & lowNibbles, PackedDot.Broadcast(x + 24)) + Avx2.MultiplyAddAdjacent(v7 & lowNibbles, PackedDot.Broadcast(x + 28)));
        high += (Avx2.MultiplyAddAdjacent(Nibbles.High(v4), PackedDot.Broadcast(x + 48)) + Avx2.MultiplyAddAdjacent(Nibbles.High(v5), PackedDot.Broadcast(x + 52)))
            + (Avx2.MultiplyAddAdjacent(Nibbles.High(v6), PackedDot.Broadcast(x + 56)) + Avx2.MultiplyAddAdjacent(Nibbles.High(v7), PackedDot.Broadcast(x + 60)));
        int pick = 2 * (chunk & 1);
        return Avx2.MultiplyAddAdjacent(low, PackedScaleMinDot.SpreadScale(scales, pick))
            + Avx2.MultiplyAddAdjacent(high, PackedScaleMinDot.SpreadScale(scales, pick + 1));
    }
}
