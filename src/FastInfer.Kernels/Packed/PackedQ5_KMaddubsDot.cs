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
    {
        var v = Vector256.Load(q + 32 * k);
        var b = Vector256.Load(bits + 32 * k);
        low += Avx2.MultiplyAddAdjacent(Nibbles.Low(v) | FifthBit(b, lowBit), PackedDot.Broadcast(x + 4 * k));
        high += Avx2.MultiplyAddAdjacent(Nibbles.High(v) | FifthBit(b, lowBit + 1), PackedDot.Broadcast(x + 32 + 4 * k));
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
