using System.Runtime.CompilerServices;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// The packed layout shared by every packed format. Rows are taken in groups of <see cref="GroupRows"/> (the last
/// group padded with zero rows). A group is a run of chunks of <see cref="ChunkBlocks"/> blocks (the last may be
/// shorter): 64 bytes holding each block's eight F16 row scales, then each block's quants — eight 32-byte vectors
/// where vector k holds, in lane r, row r's columns 4k..4k+3 as unsigned bytes. So one vpdpbusd against the four
/// activation bytes of those columns, broadcast, advances all eight rows' dot products with lane = row, and a group
/// reads as one forward stream of aligned vectors (scales kept in a separate section made decode from DRAM slower).
/// </summary>
internal static unsafe class PackedLayout
{
    public const int GroupRows = 8;
    public const int BlockColumns = 32;
    public const int ChunkBlocks = 4;
    public const int ScaleBytesPerBlock = GroupRows * sizeof(ushort);
    public const int ChunkScaleBytes = ChunkBlocks * ScaleBytesPerBlock;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long ChunkBytes(int quantBytesPerBlock) => ChunkScaleBytes + (long)ChunkBlocks * quantBytesPerBlock;

    public static long GroupBytes(int blocks, int quantBytesPerBlock)
        => (long)(blocks + ChunkBlocks - 1) / ChunkBlocks * ChunkScaleBytes + (long)blocks * quantBytesPerBlock;

    /// <summary>Where block <paramref name="block"/>'s eight row scales lie in a group.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte* Scales(byte* group, int block, int quantBytesPerBlock)
        => group + (uint)block / ChunkBlocks * ChunkBytes(quantBytesPerBlock) + (uint)block % ChunkBlocks * ScaleBytesPerBlock;

    /// <summary>Where block <paramref name="block"/>'s quant vectors lie in a group.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte* Quants(byte* group, int block, int quantBytesPerBlock)
        => group + (uint)block / ChunkBlocks * ChunkBytes(quantBytesPerBlock) + ChunkScaleBytes + (uint)block % ChunkBlocks * quantBytesPerBlock;
}
