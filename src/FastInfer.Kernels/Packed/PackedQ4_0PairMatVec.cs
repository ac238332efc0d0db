using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Q4_0 decode on the AVX-512 path, sixteen rows (a <see cref="PackedPair"/>) per pass: per block, four 512-bit
/// weight vectors give eight nibble vectors; eight vpmaddubsw against the broadcast activation bytes sum in int16
/// (exact: nibbles ≤ 15, activations within ±128, sixteen products per lane) and one vpmaddwd widens them. That is
/// half the multiply work per weight of eight vpdpbusd on 256-bit vectors, and half the unpack and scale work.
/// The int sum is the same exact integer and the float step the same FMA, so the bits match the 8-row kernels.
/// </summary>
internal unsafe struct PackedQ4_0PairMatVec : IRowJob
{
    public PackedView View;
    public int Rows;
    public int Blocks;
    public PackedActivations A;
    public float* Y;

    /// <summary>Pairs of groups a view of <paramref name="rows"/> rows needs (the last may hold one group).</summary>
    public static int PairCount(PackedView view, int rows) => (view.GroupCount(rows) + 1) / 2;

    public void Execute(int firstPair, int endPair)
    {
        int groups = View.GroupCount(Rows);
        for (int p = firstPair; p < endPair; p++)
        {
            int group = 2 * p;
            byte* low = (byte*)View.FirstGroup + group * View.GroupBytes;
            bool hasHighGroup = group + 1 < groups;
            // A lone last group reads itself as its partner and stores only its own lanes.
            var lanes = Pair(low, hasHighGroup ? View.GroupBytes : 0);
            PackedPair.Store(lanes, Y, group * PackedLayout.GroupRows - View.RowOffset, Rows, hasHighGroup);
        }
    }

    /// <summary>How far ahead of the chunk being read the kernel asks for lines: sixteen chunks (9 KiB for Q4_0).</summary>
    private const int PrefetchChunks = 16;

    /// <summary>
    /// Reading two groups at once is two streams, and the second one jumps a whole group at every new pair: left to the
    /// hardware prefetcher, a pair ran at half the DRAM rate of one group. So each chunk asks for the lines
    /// <see cref="PrefetchChunks"/> chunks further on in both groups — past the pair's end, the next pair's lines.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchAhead(byte* low, long offset, long groupBytes)
    {
        long chunkBytes = PackedLayout.ChunkBytes(PackedQ4_0.QuantBytesPerBlock);
        long ahead = offset + PrefetchChunks * chunkBytes;
        byte* next = low + ahead + (ahead >= groupBytes ? groupBytes : 0);
        for (long line = 0; line < chunkBytes; line += 64)
        {
            Sse.Prefetch0(next + line);
            Sse.Prefetch0(next + line + groupBytes);
        }
    }

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
    private readonly Vector512<float> Pair(byte* low, long groupBytes)
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
            PrefetchAhead(low, chunk - low, groupBytes);
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
