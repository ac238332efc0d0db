using System.Runtime.CompilerServices;

namespace FastInfer.Kernels.Ops.QuantGemm;

/// <summary>
/// One block (256 columns) of a group of eight weight rows, unpacked for the micro-kernel with lane r = row r:
/// 64 quant vectors (vector v holds columns 4v..4v+3 of each row, so one activation broadcast of four bytes meets all
/// eight rows in one vpdpbusd), then a scale vector per sub-block, eight offset-pair vectors, d and the offset factor.
/// </summary>
internal static class PanelLayout
{
    public const int Rows = 8, QuantBytes = 256 * Rows, VectorBytes = 32, OffsetPairs = 8;

    // Each offset is written out from the panel's sub-block width rather than from the one before it, and every helper
    // is inlined: a chain of calls five deep at each use overran the JIT's inlining budget in the prefill tile, and the
    // calls stayed in its block loop.

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SubBlocks<TPanel>() where TPanel : struct, IKQuantPanel => 256 / TPanel.SubBlockColumns;

    public static int ScalesAt => QuantBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int OffsetsAt<TPanel>() where TPanel : struct, IKQuantPanel => QuantBytes + 256 / TPanel.SubBlockColumns * VectorBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int DAt<TPanel>() where TPanel : struct, IKQuantPanel => QuantBytes + (256 / TPanel.SubBlockColumns + OffsetPairs) * VectorBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int OffsetFactorAt<TPanel>() where TPanel : struct, IKQuantPanel
        => QuantBytes + (256 / TPanel.SubBlockColumns + OffsetPairs + 1) * VectorBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int BlockBytes<TPanel>() where TPanel : struct, IKQuantPanel
        => QuantBytes + (256 / TPanel.SubBlockColumns + OffsetPairs + 2) * VectorBytes;
}
