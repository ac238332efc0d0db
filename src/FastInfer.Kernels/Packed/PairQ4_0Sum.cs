using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Q4_0's block sums for <see cref="PackedPairKernel{TSum}"/>. Each group is read in full 512-bit vectors — quant
/// vectors k and k+1 in one load, eight rows' columns 4k.. in the lower half and 4k+4.. in the upper — so a block costs
/// two loads per group and no inserts; each activation vector is the matching pair of column quads
/// (<see cref="PackedPair.Spread"/>, four permutes per block shared by both groups) instead of eight broadcasts. Eight
/// vpmaddubsw per group sum in int16 (exact: nibbles ≤ 15, activations within ±128, at most sixteen products per lane
/// once <see cref="PackedPair.Fold"/> adds the halves and puts the two groups side by side), and one vpmaddwd widens
/// them. ggml's low nibbles are columns 0..15 (quads 0..3) and its high nibbles columns 16..31 (quads 4..7).
/// </summary>
internal readonly unsafe struct PairQ4_0Sum : IPairBlockSum
{
    public static int QuantBytesPerBlock => PackedQ4_0.QuantBytesPerBlock;
    public static int ZeroPoint => PackedQ4_0.ZeroPoint;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Sum(byte* quants, long partnerOffset, Vector512<int> activationQuads)
    {
        PackedPair.SpreadBlock(activationQuads, out var low01, out var low23, out var high01, out var high23);
        return PackedPair.Widen(PackedPair.Fold(
            GroupSum(quants, low01, low23, high01, high23), GroupSum(quants + partnerOffset, low01, low23, high01, high23)));
    }

    /// <summary>One group's block: int16 sums, lanes 0–7 from quant vectors 0 and 2 and lanes 8–15 from 1 and 3 (both nibbles).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> GroupSum(byte* q, Vector512<sbyte> low01, Vector512<sbyte> low23, Vector512<sbyte> high01, Vector512<sbyte> high23)
    {
        var w01 = Vector512.Load(q);
        var w23 = Vector512.Load(q + 64);
        return PackedPair.Products(PackedPair.LowNibbles(w01), low01)
            + PackedPair.Products(PackedPair.LowNibbles(w23), low23)
            + (PackedPair.Products(PackedPair.HighNibbles(w01), high01)
            + PackedPair.Products(PackedPair.HighNibbles(w23), high23));
    }
}
