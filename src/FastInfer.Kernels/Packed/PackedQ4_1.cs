using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Q4_1 packed: the nibbles laid out as <see cref="PackedQ4_0"/>'s (0..15, no zero point), then the eight rows' minimums
/// m as F16, converted like the row scales (<see cref="PackedScales"/>). x = d·q + m, so a block's dot product with an
/// 8-bit activation block (scale d<sub>a</sub>, quants a) is d·d<sub>a</sub>·Σq·a + m·s: the integer Σq·a as for Q4_0,
/// and the minimum term with s = d<sub>a</sub>·Σa as ggml's Q8_1 block stores it, the same for every row. A group block is the
/// eight ggml blocks' size less their row scales (8 × 18 bytes), as the layout keeps the scales apart.
/// </summary>
internal readonly unsafe struct PackedQ4_1 : IPackedFormat
{
    public const int MinimumOffset = 4 * 32;
    private const int GgmlQuantOffset = 4;

    public static GgmlType Type => GgmlType.Q4_1;
    public static int QuantBytesPerBlock => MinimumOffset + PackedLayout.GroupRows * sizeof(ushort);
    public static int ZeroPoint => 0;
    public static int MaxQuant => 15;
    public static bool HasMinimum => true;

    public static bool HasFiniteScales(byte* ggmlBlock) => PackedMinimums.AreFinite(ggmlBlock);

    public static void PackBlock(byte* ggmlBlock, int lane, byte* groupBlock)
    {
        PackedQ4_0.PackQuants(ggmlBlock + GgmlQuantOffset, lane, groupBlock);
        PackedMinimums.Pack(ggmlBlock, lane, groupBlock + MinimumOffset);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Minimums(byte* groupBlock) => PackedScales.Load(groupBlock + MinimumOffset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Unpack(byte* groupBlock,
        out Vector256<byte> w0, out Vector256<byte> w1, out Vector256<byte> w2, out Vector256<byte> w3,
        out Vector256<byte> w4, out Vector256<byte> w5, out Vector256<byte> w6, out Vector256<byte> w7)
        => PackedQ4_0.Unpack(groupBlock, out w0, out w1, out w2, out w3, out w4, out w5, out w6, out w7);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Quad(byte* groupBlock, int k) => PackedQ4_0.Quad(groupBlock, k);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void UnpackHalf(byte* groupBlock, int half,
        out Vector256<byte> w0, out Vector256<byte> w1, out Vector256<byte> w2, out Vector256<byte> w3)
        => PackedQ4_0.UnpackHalf(groupBlock, half, out w0, out w1, out w2, out w3);
}
