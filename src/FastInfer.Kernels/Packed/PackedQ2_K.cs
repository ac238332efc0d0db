using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Q2_K in the row-interleaved layout: each super-block of a group is exactly the eight ggml blocks' size (8 × 84
/// bytes), lane r = row r:
/// <list type="bullet">
/// <item>bytes 0–15: the eight rows' d, 16–31: their dmin (F16, converted like <see cref="PackedScales"/>);</item>
/// <item>bytes 32–159: the sixteen scale bytes as four vectors, vector i lane r = row r's bytes 4i..4i+3 (each byte a
/// 16-column sub-block's 4-bit scale in the low nibble and 4-bit minimum in the high one);</item>
/// <item>bytes 160–671: the 2-bit quants as <see cref="PackedQ3_K"/> lays out its low bits, for each half n eight
/// vectors, vector k lane r = row r's qs bytes 32n+4k..32n+4k+3.</item>
/// </list>
/// Column 128n+32j+4k+b of a row is bits 2j..2j+1 of byte b of its lane in quant vector (n, k), in sub-block
/// 8n+2j+(k ≥ 4). The quants are unsigned (0..3) with no offset (the minimum is its own term).
/// </summary>
internal readonly unsafe struct PackedQ2_K : IPackedSuperBlockFormat
{
    public const int ScaleOffset = 32;
    public const int QuantOffset = 160;
    public const int SuperBlockBytes = PackedLayout.GroupRows * (16 + 64 + 2 + 2);

    // ggml block_q2_K: scales[16], qs[64], d, dmin.
    private const int BlockQuantOffset = 16, BlockDOffset = 80, BlockDminOffset = 82;

    public static GgmlType Type => GgmlType.Q2_K;
    static int IPackedSuperBlockFormat.SuperBlockBytes => SuperBlockBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy<TCopy>(byte* block, int lane, byte* superBlock) where TCopy : struct, ILaneCopy
    {
        TCopy.Half(block + BlockDOffset, superBlock + 2 * lane);
        TCopy.Half(block + BlockDminOffset, superBlock + 16 + 2 * lane);
        for (int i = 0; i < 4; i++)
            TCopy.Word(block + 4 * i, superBlock + ScaleOffset + 32 * i + 4 * lane);
        for (int n = 0; n < 2; n++)
            for (int k = 0; k < 8; k++)
                TCopy.Word(block + BlockQuantOffset + 32 * n + 4 * k, superBlock + QuantOffset + 32 * (8 * n + k) + 4 * lane);
    }

    public static bool HasFiniteScales(byte* block)
        => PackedScales.IsFinite(Unsafe.ReadUnaligned<ushort>(block + BlockDOffset)) && PackedScales.IsFinite(Unsafe.ReadUnaligned<ushort>(block + BlockDminOffset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Dot<TStep>(byte* superBlock, in PackedKActivations a, int s, Vector256<float> acc) where TStep : struct, IPackedStep
    {
        PackedPrefetch.Ahead(superBlock, SuperBlockBytes);
        return PackedQ2_KDot.SuperBlock<TStep>(superBlock, a, s, acc);
    }
}
