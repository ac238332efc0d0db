using System.Runtime.CompilerServices;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// The minimums of the packed formats that have one (<see cref="PackedQ4_1"/>, <see cref="PackedQ5_1"/>): in ggml's block
/// an F16 m right after the F16 d; in a group block, the eight rows' m as F16 at the format's offset, read as the row
/// scales are (<see cref="PackedScales.Load"/>).
/// </summary>
internal static unsafe class PackedMinimums
{
    private const int GgmlOffset = 2;

    /// <summary>Whether a ggml block's d and m are both finite.</summary>
    public static bool AreFinite(byte* ggmlBlock)
        => PackedScales.IsFinite(Unsafe.ReadUnaligned<ushort>(ggmlBlock))
           && PackedScales.IsFinite(Unsafe.ReadUnaligned<ushort>(ggmlBlock + GgmlOffset));

    /// <summary>Row <paramref name="lane"/>'s m into the group block's minimums at <paramref name="minimums"/>.</summary>
    public static void Pack(byte* ggmlBlock, int lane, byte* minimums)
        => Unsafe.WriteUnaligned(minimums + 2 * lane, Unsafe.ReadUnaligned<ushort>(ggmlBlock + GgmlOffset));
}
