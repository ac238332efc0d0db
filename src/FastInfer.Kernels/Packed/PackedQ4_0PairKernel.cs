using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Q4_0 decode on the AVX-512 path, sixteen rows (a <see cref="PackedPair"/>) per pass: per block, four 512-bit
/// weight vectors give eight nibble vectors; eight vpmaddubsw against the broadcast activation bytes sum in int16
/// (exact: nibbles ≤ 15, activations within ±128, sixteen products per lane) and one vpmaddwd widens them. That is
/// half the multiply work per weight of eight vpdpbusd on 256-bit vectors, and half the unpack and scale work.
/// The int sum is the same exact integer and the float step the same FMA, so the bits match the 8-row kernels.
/// </summary>
internal unsafe struct PackedQ4_0PairKernel : IPackedPairKernel
{
    public int Blocks;
    public PackedActivations A;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Block(byte* q, byte* rowScaleHalves, long groupBytes, byte* a, float scale, int correction, Vector512<float> acc)
    {
        var v0 = PackedPair.Load(q, groupBytes);
        var v1 = PackedPair.Load(q + 32, groupBytes);
        var v2 = PackedPair.Load(q + 64, groupBytes);
        var v3 = PackedPair.Load(q + 96, groupBytes);
        var lowSum = PackedPair.Products(PackedPair.LowNibbles(v0), PackedPair.Broadcast(a))
            + PackedPair.Products(PackedPair.LowNibbles(v1), PackedPair.Broadcast(a + 4))
            + (PackedPair.Products(PackedPair.LowNibbles(v2), PackedPair.Broadcast(a + 8))
            + PackedPair.Products(PackedPair.LowNibbles(v3), PackedPair.Broadcast(a + 12)));
        var highSum = PackedPair.Products(PackedPair.HighNibbles(v0), PackedPair.Broadcast(a + 16))
            + PackedPair.Products(PackedPair.HighNibbles(v1), PackedPair.Broadcast(a + 20))
            + (PackedPair.Products(PackedPair.HighNibbles(v2), PackedPair.Broadcast(a + 24))
            + PackedPair.Products(PackedPair.HighNibbles(v3), PackedPair.Broadcast(a + 28)));
        var sum = PackedPair.Widen(lowSum + highSum) + Vector512.Create(correction);
        var rowScales = PackedPair.Scales(rowScaleHalves, groupBytes);
        return Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(sum), rowScales * Vector512.Create(scale), acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> Pair(byte* low, long groupBytes)
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
            PackedPair.PrefetchAhead(low, chunk - low, groupBytes, PackedLayout.ChunkBytes(PackedQ4_0.QuantBytesPerBlock));
            for (int b = first; b < end; b++)
            {
                acc = Block(q, rowScaleHalves, groupBytes, quants + b * 32, scales[b], corrections[b], acc);
                q += PackedQ4_0.QuantBytesPerBlock;
                rowScaleHalves += PackedLayout.ScaleBytesPerBlock;
            }
            chunk += PackedLayout.ChunkBytes(PackedQ4_0.QuantBytesPerBlock);
        }
        return acc;
    }
}
