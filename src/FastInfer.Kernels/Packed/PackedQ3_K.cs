using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Q3_K in the row-interleaved layout: each super-block of a group is exactly the eight ggml blocks' size (8 × 110
/// bytes), lane r = row r:
/// <list type="bullet">
/// <item>bytes 0–15: the eight rows' d (F16, converted like <see cref="PackedScales"/>);</item>
/// <item>bytes 16–111: the 12-byte 6-bit scale fields as three vectors, vector i lane r = row r's bytes 4i..4i+3, so
/// word arithmetic unpacks the sixteen scales of all eight rows at once (<see cref="Scales(Vector256{uint}, Vector256{uint}, int, int)"/>);</item>
/// <item>bytes 112–367: the high bits as eight vectors, vector k lane r = row r's hmask bytes 4k..4k+3;</item>
/// <item>bytes 368–879: the 2-bit quants, for each half n (128 columns) eight vectors, vector k lane r = row r's qs
/// bytes 32n+4k..32n+4k+3.</item>
/// </list>
/// Column 128n+32j+4k+b of a row is then bits 2j..2j+1 of byte b of its lane in quant vector (n, k) and bit 4n+j of byte b
/// in high-bit vector k (ggml's order). The quants stay unsigned (0..7, ggml's value plus 4), and the kernels remove
/// the offset of 4 once per super-block.
/// </summary>
internal readonly unsafe struct PackedQ3_K : IPackedSuperBlockFormat
{
    public const int ScaleOffset = 16;
    public const int HighBitsOffset = 112;
    public const int QuantOffset = 368;
    public const int SuperBlockBytes = PackedLayout.GroupRows * (32 + 64 + 12 + 2);

    // ggml block_q3_K: hmask[32], qs[64], scales[12], d.
    private const int BlockQuantOffset = 32, BlockScaleOffset = 96, BlockDOffset = 108;

    public static GgmlType Type => GgmlType.Q3_K;
    static int IPackedSuperBlockFormat.SuperBlockBytes => SuperBlockBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy<TCopy>(byte* block, int lane, byte* superBlock) where TCopy : struct, ILaneCopy
    {
        TCopy.Half(block + BlockDOffset, superBlock + 2 * lane);
        for (int i = 0; i < 3; i++)
            TCopy.Word(block + BlockScaleOffset + 4 * i, superBlock + ScaleOffset + 32 * i + 4 * lane);
        for (int k = 0; k < 8; k++)
        {
            TCopy.Word(block + 4 * k, superBlock + HighBitsOffset + 32 * k + 4 * lane);
            for (int n = 0; n < 2; n++)
                TCopy.Word(block + BlockQuantOffset + 32 * n + 4 * k, superBlock + QuantOffset + 32 * (8 * n + k) + 4 * lane);
        }
    }

    public static bool HasFiniteScales(byte* block) => PackedScales.IsFinite(Unsafe.ReadUnaligned<ushort>(block + BlockDOffset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Dot<TStep>(byte* superBlock, in PackedKActivations a, int s, Vector256<float> acc) where TStep : struct, IPackedStep
    {
        PackedPrefetch.Ahead(superBlock, SuperBlockBytes);
        return PackedQ3_KDot.SuperBlock<TStep>(superBlock, a, s, acc);
    }

    /// <summary>
    /// Four of each lane's sixteen signed scales (stored value − 32) from its scale-field words: scale k's low four bits
    /// are the low (k &lt; 8) or high nibble of byte k mod 8 (in <paramref name="low"/>, bytes 0–3 or 4–7), its top two
    /// bits bit pair k/4 of byte 8 + k mod 4 (in <paramref name="top"/>, bytes 8–11). Scales 4i..4i+3 take
    /// (<paramref name="low"/>, shifts) = (bytes 0–3, 0, 0), (4–7, 0, 2), (0–3, 4, 4), (4–7, 4, 6) for i = 0..3, the
    /// layout <see cref="PairSignedScales"/> reads.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<sbyte> Scales(Vector512<uint> low, Vector512<uint> top, int lowShift, int topShift)
        => (((Vector512.ShiftRightLogical(low, lowShift) & Vector512.Create(0x0f0f0f0fu))
            | Vector512.ShiftLeft(Vector512.ShiftRightLogical(top, topShift) & Vector512.Create(0x03030303u), 4)).AsSByte())
            - Vector512.Create((sbyte)32);

    /// <inheritdoc cref="Scales(Vector512{uint}, Vector512{uint}, int, int)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> Scales(Vector256<uint> low, Vector256<uint> top, int lowShift, int topShift)
        => (((Vector256.ShiftRightLogical(low, lowShift) & Vector256.Create(0x0f0f0f0fu))
            | Vector256.ShiftLeft(Vector256.ShiftRightLogical(top, topShift) & Vector256.Create(0x03030303u), 4)).AsSByte())
            - Vector256.Create((sbyte)32);
}
