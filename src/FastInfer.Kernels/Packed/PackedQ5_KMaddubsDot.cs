using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks.Simd;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Q5_K's AVX2 decode step: <see cref="PackedScaleMinDot"/>'s integers for vpmaddubsw written out flat, as
/// <see cref="PackedQ4_KMaddubsDot"/> does for Q4_K, asking for the super-block's 22 lines in eight shares among its loads.
/// A quant's fifth bit reaches bit 4 in two instructions (one 16-bit shift, one mask) instead of three. With five-bit
/// quants a sub-block's vpmaddubsw results may add four at a time in int16 (4·2·31·128 = 31744), so each half-chunk
/// widens once. In session 14's trial harness on the Zen 3, from cache, this ran faster than the loops.
/// <para>
/// Written out whole, the super-block overran the JIT's inlining budget and its helpers stayed calls; each half of it is
/// therefore a method of its own, two calls per super-block. Having no loop, those two would start as unoptimized code
/// and wait for tiering even where QuickJitForLoops is off, so they ask for full optimization at once.
/// </para>
/// </summary>
internal static unsafe class PackedQ5_KMaddubsDot
{
    private const int Lines = PackedQ5_K.SuperBlockBytes / 64;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SuperBlock(byte* p, in PackedKActivations a, int s, Vector256<float> acc)
    {
        PackedScaleMinDot.UnpackScales(p, out var scalesLow, out var scalesHigh, out var minsLow, out var minsHigh);
        byte* x = a.Quants(s);
        var sum = FirstHalf(p, x, scalesLow) + SecondHalf(p, x, scalesHigh);
        return PackedScaleMinDot.Finish(p, a, s, sum, minsLow, minsHigh, acc);
    }

    /// <summary>
    /// <see cref="SuperBlock"/> of two groups' super-blocks at once, through <see cref="PackedScaleMinDot.SuperBlockPair{THalves}"/>:
    /// each activation broadcast feeds both groups. Each half-chunk's int16 sums are widened before the next half-chunk
    /// starts, so two groups' sums fit the registers; the int32 sums differ from <see cref="SuperBlock"/>'s only in the
    /// order of exact additions, so the bits are the same.
    /// </summary>
    public readonly struct PairHalves : IScaleMinPairHalves
    {
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public static Vector256<int> First(byte* pa, byte* pb, byte* x, Vector256<int> scalesA, Vector256<int> scalesB, out Vector256<int> sumB)
            => HalfPair(pa, pb - pa, 0, x, scalesA, scalesB, out sumB);

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public static Vector256<int> Second(byte* pa, byte* pb, byte* x, Vector256<int> scalesA, Vector256<int> scalesB, out Vector256<int> sumB)
            => HalfPair(pa, pb - pa, 2, x, scalesA, scalesB, out sumB);
    }

    /// <summary>Chunks <paramref name="firstChunk"/> and <paramref name="firstChunk"/> + 1 (a constant) of both groups.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> HalfPair(byte* pa, long apart, int firstChunk, byte* x, Vector256<int> scalesA, Vector256<int> scalesB, out Vector256<int> sumB)
    {
        var sumA = ChunkPair(pa, apart, firstChunk, x, scalesA, scalesB, out sumB);
        sumA += ChunkPair(pa, apart, firstChunk + 1, x, scalesA, scalesB, out var laterB);
        sumB += laterB;
        return sumA;
    }

    /// <summary><see cref="Chunk"/> of both groups (group B <paramref name="apart"/> bytes after A), a half-chunk at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> ChunkPair(byte* pa, long apart, int chunk, byte* x, Vector256<int> scalesA, Vector256<int> scalesB, out Vector256<int> sumB)
    {
        PackedPrefetch.Share(pa, Lines, 2 * chunk, 8);
        PackedPrefetch.Share(pa + apart, Lines, 2 * chunk, 8);
        var sumA = HalfChunkPair(pa, apart, chunk, 0, x, scalesA, scalesB, out sumB);
        PackedPrefetch.Share(pa, Lines, 2 * chunk + 1, 8);
        PackedPrefetch.Share(pa + apart, Lines, 2 * chunk + 1, 8);
        sumA += HalfChunkPair(pa, apart, chunk, 4, x, scalesA, scalesB, out var laterB);
        sumB += laterB;
        return sumA;
    }

    /// <summary>Quads <paramref name="firstQuad"/>..+3 of a chunk in both groups, widened against their sub-blocks' scales.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> HalfChunkPair(byte* pa, long apart, int chunk, int firstQuad, byte* x, Vector256<int> scalesA,
        Vector256<int> scalesB, out Vector256<int> sumB)
    {
        byte* q = pa + PackedQ4_K.QuantOffset + chunk * PackedQ4_K.ChunkBytes;
        byte* bits = pa + PackedQ5_K.HighBitsOffset;
        x += 64 * chunk;
        Vector256<short> lowA = default, highA = default, lowB = default, highB = default;
        QuadPair(q, bits, apart, x, firstQuad, 2 * chunk, ref lowA, ref highA, ref lowB, ref highB);
        QuadPair(q, bits, apart, x, firstQuad + 1, 2 * chunk, ref lowA, ref highA, ref lowB, ref highB);
        QuadPair(q, bits, apart, x, firstQuad + 2, 2 * chunk, ref lowA, ref highA, ref lowB, ref highB);
        QuadPair(q, bits, apart, x, firstQuad + 3, 2 * chunk, ref lowA, ref highA, ref lowB, ref highB);
        int pick = 2 * (chunk & 1);
        sumB = Avx2.MultiplyAddAdjacent(lowB, PackedScaleMinDot.SpreadScale(scalesB, pick))
            + Avx2.MultiplyAddAdjacent(highB, PackedScaleMinDot.SpreadScale(scalesB, pick + 1));
        return Avx2.MultiplyAddAdjacent(lowA, PackedScaleMinDot.SpreadScale(scalesA, pick))
            + Avx2.MultiplyAddAdjacent(highA, PackedScaleMinDot.SpreadScale(scalesA, pick + 1));
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector256<int> FirstHalf(byte* p, byte* x, Vector256<int> scales) => Chunk(p, 0, x, scales) + Chunk(p, 1, x, scales);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector256<int> SecondHalf(byte* p, byte* x, Vector256<int> scales) => Chunk(p, 2, x, scales) + Chunk(p, 3, x, scales);

    /// <summary>
    /// Chunk <paramref name="chunk"/>'s 64 columns (<see cref="PackedQ5_K"/>: sub-block 2c in the low nibbles with fifth
    /// bit 2c, sub-block 2c+1 in the high nibbles with bit 2c+1), each sub-block's two runs of four widened by vpmaddwd
    /// against its scale.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Chunk(byte* p, int chunk, byte* x, Vector256<int> scales)
    {
        byte* q = p + PackedQ4_K.QuantOffset + chunk * PackedQ4_K.ChunkBytes;
        byte* bits = p + PackedQ5_K.HighBitsOffset;
        x += 64 * chunk;
        Vector256<short> lowFirst = default, highFirst = default, lowSecond = default, highSecond = default;
        PackedPrefetch.Share(p, Lines, 2 * chunk, 8);
        Quad(q, bits, x, 0, 2 * chunk, ref lowFirst, ref highFirst);
        Quad(q, bits, x, 1, 2 * chunk, ref lowFirst, ref highFirst);
        Quad(q, bits, x, 2, 2 * chunk, ref lowFirst, ref highFirst);
        Quad(q, bits, x, 3, 2 * chunk, ref lowFirst, ref highFirst);
        PackedPrefetch.Share(p, Lines, 2 * chunk + 1, 8);
        Quad(q, bits, x, 4, 2 * chunk, ref lowSecond, ref highSecond);
        Quad(q, bits, x, 5, 2 * chunk, ref lowSecond, ref highSecond);
        Quad(q, bits, x, 6, 2 * chunk, ref lowSecond, ref highSecond);
        Quad(q, bits, x, 7, 2 * chunk, ref lowSecond, ref highSecond);
        int pick = 2 * (chunk & 1);
        var lowScale = PackedScaleMinDot.SpreadScale(scales, pick);
        var highScale = PackedScaleMinDot.SpreadScale(scales, pick + 1);
        return (Avx2.MultiplyAddAdjacent(lowFirst, lowScale) + Avx2.MultiplyAddAdjacent(lowSecond, lowScale))
            + (Avx2.MultiplyAddAdjacent(highFirst, highScale) + Avx2.MultiplyAddAdjacent(highSecond, highScale));
    }

    /// <summary>Column quad k of the chunk: its low-nibble quants (fifth bit <paramref name="lowBit"/>) into
    /// <paramref name="low"/>, its high-nibble quants (bit <paramref name="lowBit"/> + 1) into <paramref name="high"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Quad(byte* q, byte* bits, byte* x, int k, int lowBit, ref Vector256<short> low, ref Vector256<short> high)
        => QuadAgainst(q, bits, PackedDot.Broadcast(x + 4 * k), PackedDot.Broadcast(x + 32 + 4 * k), k, lowBit, ref low, ref high);

    /// <summary><see cref="Quad"/> of both groups, each broadcast made once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void QuadPair(byte* q, byte* bits, long apart, byte* x, int k, int lowBit, ref Vector256<short> lowA,
        ref Vector256<short> highA, ref Vector256<short> lowB, ref Vector256<short> highB)
    {
        var xl = PackedDot.Broadcast(x + 4 * k);
        var xh = PackedDot.Broadcast(x + 32 + 4 * k);
        QuadAgainst(q, bits, xl, xh, k, lowBit, ref lowA, ref highA);
        QuadAgainst(q + apart, bits + apart, xl, xh, k, lowBit, ref lowB, ref highB);
    }

    /// <summary><see cref="Quad"/> against activation broadcasts already made (<paramref name="xl"/> for the low
    /// nibbles' columns, <paramref name="xh"/> for the high ones'), which a pair of groups shares.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void QuadAgainst(byte* q, byte* bits, Vector256<sbyte> xl, Vector256<sbyte> xh, int k, int lowBit,
        ref Vector256<short> low, ref Vector256<short> high)
    {
        var v = Vector256.Load(q + 32 * k);
        var b = Vector256.Load(bits + 32 * k);
        low += Avx2.MultiplyAddAdjacent(Nibbles.Low(v) | FifthBit(b, lowBit), xl);
        high += Avx2.MultiplyAddAdjacent(Nibbles.High(v) | FifthBit(b, lowBit + 1), xh);
    }

    /// <summary>
    /// Bit <paramref name="bit"/> (a constant) of every byte, moved to bit 4: a 16-bit shift by at most four places moves
    /// the bits of one byte into the other only below or above bit 4 of it, which the mask clears.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> FifthBit(Vector256<byte> bits, int bit)
    {
        var words = bits.AsUInt16();
        var moved = bit <= 4 ? Vector256.ShiftLeft(words, 4 - bit) : Vector256.ShiftRightLogical(words, bit - 4);
        return moved.AsByte() & Vector256.Create((byte)0x10);
    }
}
