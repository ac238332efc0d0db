using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks.Simd;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Q5_0's block sums for <see cref="PackedPairKernel{TSum}"/>: <see cref="PairQ4_0Sum"/>'s nibbles with each column's
/// fifth bit set in bit 4, so every weight is 0..31. The fifth bits of a row are one reordered word
/// (<see cref="PackedQ5_0"/>: bit 8b+k is column 4k+b's), loaded into both halves of a vector; rotating each half
/// left by 4−k (mod 32) brings column quad k's bits to bit 4 of each byte, one vprolvd for the two quads a 512-bit load
/// of quant vectors meets. A vpmaddubsw lane then holds two products of at most 31·128, four of them 31744: exact in
/// int16 within a group, but not once two groups' halves are added, so each group widens to int32 before the fold.
/// Against the 256-bit VNNI kernel it replaced on this path, in `bench-kernels` runs alternated with the previous build
/// (two threads), matrix-vector Q5_0 reached 82–86% of the read bandwidth instead of 55–69%.
/// </summary>
internal readonly unsafe struct PairQ5_0Sum : IPairBlockSum
{
    public static int QuantBytesPerBlock => PackedQ5_0.QuantBytesPerBlock;
    public static int ZeroPoint => PackedQ5_0.ZeroPoint;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Sum(byte* quants, long partnerOffset, Vector512<int> activationQuads)
    {
        PackedPair.SpreadBlock(activationQuads, out var low01, out var low23, out var high01, out var high23);
        var group = GroupSum(quants, low01, low23, high01, high23);
        var partner = GroupSum(quants + partnerOffset, low01, low23, high01, high23);
        return PackedPair.Fold(group, partner);
    }

    /// <summary>One group's block as int32: lanes 0–7 from quant vectors 0 and 2, lanes 8–15 from 1 and 3 (both nibbles).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> GroupSum(byte* q, Vector512<sbyte> low01, Vector512<sbyte> low23, Vector512<sbyte> high01, Vector512<sbyte> high23)
    {
        var w01 = Vector512.Load(q);
        var w23 = Vector512.Load(q + 64);
        // One insert: the JIT builds Vector512.Create(Vector256) and BroadcastVector256ToVector512 here with two.
        var words = Vector256.Load((uint*)(q + PackedQ5_0.HighBitsOffset));
        var fifthBits = Avx512Ops.InsertVector256(words.ToVector512Unsafe(), words, 1);
        var sums = PackedPair.Products(PackedPair.LowNibbles(w01) | FifthBits(fifthBits, 0), low01)
            + PackedPair.Products(PackedPair.LowNibbles(w23) | FifthBits(fifthBits, 2), low23)
            + (PackedPair.Products(PackedPair.HighNibbles(w01) | FifthBits(fifthBits, 4), high01)
            + PackedPair.Products(PackedPair.HighNibbles(w23) | FifthBits(fifthBits, 6), high23));
        return PackedPair.Widen(sums);
    }

    /// <summary>Column quad <paramref name="quad"/>'s fifth bits in bit 4 of each byte of the lower half, quad+1's in the upper.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> FifthBits(Vector512<uint> words, int quad)
    {
        uint low = (uint)(4 - quad) & 31, high = (uint)(3 - quad) & 31;
        var counts = Vector512.Create(low, low, low, low, low, low, low, low, high, high, high, high, high, high, high, high);
        return (Avx512Ops.RotateLeftVariable(words, counts) & Vector512.Create(0x10101010u)).AsByte();
    }
}
