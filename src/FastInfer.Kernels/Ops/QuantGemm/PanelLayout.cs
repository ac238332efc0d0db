namespace FastInfer.Kernels.Ops.QuantGemm;

/// <summary>
/// One block (256 columns) of a group of eight weight rows, unpacked for the micro-kernel with lane r = row r:
/// 64 quant vectors (vector v holds columns 4v..4v+3 of each row, so one activation broadcast of four bytes meets all
/// eight rows in one vpdpbusd), then a scale vector per sub-block, eight offset-pair vectors, d and the offset factor.
/// </summary>
internal static class PanelLayout
{
    public const int Rows = 8, QuantBytes = 256 * Rows, VectorBytes = 32, OffsetPairs = 8;

    public static int SubBlocks<TPanel>() where TPanel : IKQuantPanel => 256 / TPanel.SubBlockColumns;

    public static int ScalesAt => QuantBytes;

    public static int OffsetsAt<TPanel>() where TPanel : IKQuantPanel => ScalesAt + SubBlocks<TPanel>() * VectorBytes;

    public static int DAt<TPanel>() where TPanel : IKQuantPanel => OffsetsAt<TPanel>() + OffsetPairs * VectorBytes;

    public static int OffsetFactorAt<TPanel>() where TPanel : IKQuantPanel => DAt<TPanel>() + VectorBytes;

    public static int BlockBytes<TPanel>() where TPanel : IKQuantPanel => OffsetFactorAt<TPanel>() + VectorBytes;
}
