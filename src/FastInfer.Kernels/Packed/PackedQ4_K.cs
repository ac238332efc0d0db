using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Q4_K in the row-interleaved layout: a group of eight rows is a run of super-blocks of 256 columns, each exactly the
/// size of the eight ggml blocks it replaces (8 × 144 bytes), so the decode kernel streams no more bytes than the file
/// holds. One super-block, lane r = row r:
/// <list type="bullet">
/// <item>bytes 0–15: the eight rows' d, 16–31: their dmin (F16, converted like <see cref="PackedScales"/>);</item>
/// <item>bytes 32–127: the 12-byte 6-bit scale fields as three vectors, vector i lane r = row r's bytes 4i..4i+3, so
/// <see cref="KScales"/>'s word arithmetic unpacks all eight rows at once;</item>
/// <item>bytes 128–1151: four chunks of 64 columns, each eight 32-byte vectors: vector k lane r = row r's quant bytes
/// 32c+4k..32c+4k+3, whose low nibbles are sub-block 2c's columns 4k.. and high nibbles sub-block 2c+1's.</item>
/// </list>
/// The nibbles are unsigned (0..15) with no zero point (the minimum is its own term), so vpdpbusd takes them as they are.
/// </summary>
internal readonly unsafe struct PackedQ4_K : IPackedSuperBlockFormat
{
    public static GgmlType Type => GgmlType.Q4_K;
    static int IPackedSuperBlockFormat.SuperBlockBytes => SuperBlockBytes;

    public const int ScaleFieldOffset = 32;
    public const int QuantOffset = 128;
    public const int ChunkBytes = 8 * 32;
    public const int SuperBlockBytes = PackedLayout.GroupRows * (2 + 2 + 12 + 128);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy<TCopy>(byte* block, int lane, byte* superBlock) where TCopy : struct, ILaneCopy
        => CopyScalesAndNibbles<TCopy>(block, block + ScaleMinBlocks.ScalesOffset + 12, lane, superBlock);

    /// <summary>Lane <paramref name="lane"/> of a super-block and a scale-min block's d, dmin and scale fields (at
    /// <paramref name="block"/>, as Q4_K and Q5_K store them) and its 128 nibble bytes at <paramref name="quants"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopyScalesAndNibbles<TCopy>(byte* block, byte* quants, int lane, byte* superBlock) where TCopy : struct, ILaneCopy
    {
        TCopy.Half(block, superBlock + 2 * lane);
        TCopy.Half(block + 2, superBlock + 16 + 2 * lane);
        for (int i = 0; i < 3; i++)
            TCopy.Word(block + ScaleMinBlocks.ScalesOffset + 4 * i, superBlock + ScaleFieldOffset + 32 * i + 4 * lane);
        for (int c = 0; c < 4; c++)
            for (int k = 0; k < 8; k++)
                TCopy.Word(quants + 32 * c + 4 * k, superBlock + QuantOffset + ChunkBytes * c + 32 * k + 4 * lane);
    }

    public static bool HasFiniteScales(byte* block)
        => PackedScales.IsFinite(Unsafe.ReadUnaligned<ushort>(block)) && PackedScales.IsFinite(Unsafe.ReadUnaligned<ushort>(block + 2));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Dot<TStep>(byte* superBlock, in PackedKActivations a, int s, Vector256<float> acc) where TStep : struct, IPackedStep
    {
        if (typeof(TStep) == typeof(MaddubsPackedStep))
            return PackedQ4_KMaddubsDot.SuperBlock(superBlock, a, s, acc);
        return PackedScaleMinDot.SuperBlock<TStep, NoFifthBits>(superBlock, SuperBlockBytes, a, s, acc);
    }

    /// <summary>The AVX2 step without VNNI reads two groups per pass (<see cref="PackedQ4_KMaddubsDot.PairHalves"/>).</summary>
    public static bool PairsGroups<TStep>() where TStep : struct, IPackedStep => typeof(TStep) == typeof(MaddubsPackedStep);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PairDot<TStep>(byte* superBlockA, byte* superBlockB, in PackedKActivations a, int s,
        ref Vector256<float> accA, ref Vector256<float> accB) where TStep : struct, IPackedStep
        => PackedScaleMinDot.SuperBlockPair<PackedQ4_KMaddubsDot.PairHalves>(superBlockA, superBlockB, a, s, ref accA, ref accB);
}
