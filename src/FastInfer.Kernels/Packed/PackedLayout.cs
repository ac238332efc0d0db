namespace FastInfer.Kernels.Packed;

/// <summary>
/// The packed layout shared by every packed format. Rows are taken in groups of <see cref="GroupRows"/> (the last
/// group padded with zero rows). One group is its scale section — per block, the eight rows' F16 scales — padded to
/// 64 bytes, then its quant section — per block, eight 32-byte vectors where vector k holds, in lane r, row r's
/// columns 4k..4k+3 as unsigned bytes. So one vpdpbusd against the four activation bytes of those columns,
/// broadcast, advances all eight rows' dot products with lane = row: no horizontal sums.
/// </summary>
internal static class PackedLayout
{
    public const int GroupRows = 8;
    public const int BlockColumns = 32;
    public const int ScaleBytesPerBlock = GroupRows * sizeof(ushort);

    public static long ScaleSectionBytes(int blocks) => AlignTo64((long)blocks * ScaleBytesPerBlock);

    public static long GroupBytes(int blocks, int quantBytesPerBlock) => ScaleSectionBytes(blocks) + (long)blocks * quantBytesPerBlock;

    public static long AlignTo64(long bytes) => (bytes + 63) & ~63L;
}
