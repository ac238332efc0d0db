using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Q4_0 decode on the AVX-512 path, sixteen rows (a <see cref="PackedPair"/>) per pass. Each group is read in full
/// 512-bit vectors — quant vectors k and k+1 in one load, eight rows' columns 4k.. in the lower half and 4k+4.. in the
/// upper — so a block costs two loads per group and no inserts; each activation vector is the matching pair of
/// column quads (<see cref="PackedPair.Spread"/>, four permutes per block shared by both groups) instead of eight
/// broadcasts. Eight vpmaddubsw per group sum in int16 (exact: nibbles ≤ 15, activations within ±128, at most sixteen
/// products per lane once <see cref="PackedPair.Fold"/> adds the halves and puts the two groups side by side), and one
/// vpmaddwd widens them: the same exact int per row and the same FMA per block, so the bits match the 8-row kernels.
/// </summary>
internal unsafe struct PackedQ4_0PairKernel : IPackedPairKernel
{
    public int Blocks;
    public PackedActivations A;

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

    /// <summary>
    /// A block of both groups against activation block <paramref name="a"/>: ggml's low nibbles are columns 0..15
    /// (quads 0..3) and its high nibbles columns 16..31 (quads 4..7).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Block(byte* q, byte* rowScaleHalves, long partnerOffset, byte* a, float* scale, int* correction, Vector512<float> acc)
    {
        var quads = Vector256.Load((int*)a).ToVector512Unsafe();
        var low01 = PackedPair.Spread(quads, 0);
        var low23 = PackedPair.Spread(quads, 2);
        var high01 = PackedPair.Spread(quads, 4);
        var high23 = PackedPair.Spread(quads, 6);
        var folded = PackedPair.Fold(GroupSum(q, low01, low23, high01, high23), GroupSum(q + partnerOffset, low01, low23, high01, high23));
        var sum = PackedPair.Widen(folded) + Vector512.Create(*correction);
        var rowScales = PackedPair.Scales(rowScaleHalves, partnerOffset);
        return Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(sum), rowScales * Vector512.Create(*scale), acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Pair(byte* low, long partnerOffset)
    {
        byte* quants = A.Quants(0);
        float* scales = A.Scales(0);
        int* corrections = A.Corrections(0);
        var acc = Vector512<float>.Zero;
        // Walks the chunks (scales, then up to four blocks of quants) with running pointers.
        byte* chunk = low;
        for (int first = 0; first < Blocks; first += PackedLayout.ChunkBlocks)
        {
            int end = Math.Min(first + PackedLayout.ChunkBlocks, Blocks);
            byte* q = chunk + PackedLayout.ChunkScaleBytes;
            byte* rowScaleHalves = chunk;
            PackedPair.PrefetchAhead(low, chunk - low, partnerOffset, PackedLayout.ChunkBytes(PackedQ4_0.QuantBytesPerBlock));
            for (int b = first; b < end; b++)
            {
                acc = Block(q, rowScaleHalves, partnerOffset, quants + b * 32, scales + b, corrections + b, acc);
                q += PackedQ4_0.QuantBytesPerBlock;
                rowScaleHalves += PackedLayout.ScaleBytesPerBlock;
            }
            chunk += PackedLayout.ChunkBytes(PackedQ4_0.QuantBytesPerBlock);
        }
        return acc;
    }
}
