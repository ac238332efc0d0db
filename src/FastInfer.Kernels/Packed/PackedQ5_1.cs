using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Q5_1 packed: the quants laid out as <see cref="PackedQ5_0"/>'s (0..31, no zero point), then the eight rows' minimums
/// m as F16, as <see cref="PackedQ4_1"/> keeps them: x = d·q + m, so a block adds m·d<sub>a</sub>·Σa to its scaled sum.
/// A group block is the eight ggml blocks' size less their row scales (8 × 22 bytes).
/// </summary>
internal readonly unsafe struct PackedQ5_1 : IPackedFormat
{
    public const int MinimumOffset = PackedQ5_0.HighBitsOffset + 32;
    private const int GgmlHighBitsOffset = 4, GgmlQuantOffset = 8;

    public static GgmlType Type => GgmlType.Q5_1;
    public static int QuantBytesPerBlock => MinimumOffset + PackedLayout.GroupRows * sizeof(ushort);
    public static int ZeroPoint => 0;
    public static int MaxQuant => 31;
    public static bool HasMinimum => true;

    public static bool HasFiniteScales(byte* ggmlBlock) => PackedMinimums.AreFinite(ggmlBlock);

    public static void PackBlock(byte* ggmlBlock, int lane, byte* groupBlock)
    {
        PackedQ5_0.PackQuants(ggmlBlock + GgmlQuantOffset, Unsafe.ReadUnaligned<uint>(ggmlBlock + GgmlHighBitsOffset), lane, groupBlock);
        PackedMinimums.Pack(ggmlBlock, lane, groupBlock + MinimumOffset);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Minimums(byte* groupBlock) => PackedScales.Load(groupBlock + MinimumOffset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Unpack(byte* groupBlock,
        out Vector256<byte> w0, out Vector256<byte> w1, out Vector256<byte> w2, out Vector256<byte> w3,
        out Vector256<byte> w4, out Vector256<byte> w5, out Vector256<byte> w6, out Vector256<byte> w7)
        => PackedQ5_0.Unpack(groupBlock, out w0, out w1, out w2, out w3, out w4, out w5, out w6, out w7);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Quad(byte* groupBlock, int k) => PackedQ5_0.Quad(groupBlock, k);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void UnpackHalf(byte* groupBlock, int half,
        out Vector256<byte> w0, out Vector256<byte> w1, out Vector256<byte> w2, out Vector256<byte> w3)
        => PackedQ5_0.UnpackHalf(groupBlock, half, out w0, out w1, out w2, out w3);
}
