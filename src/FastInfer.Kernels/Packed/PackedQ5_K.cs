using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks.Simd;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Q5_K in the row-interleaved layout: a super-block is <see cref="PackedQ4_K"/>'s (d, dmin, the scale fields and the
/// four 64-column chunks of nibbles, at the same offsets) followed by the fifth bits as eight 32-byte vectors, vector k
/// lane r = row r's qh bytes 4k..4k+3. Those bytes serve every chunk: the columns 4k.. of chunk c take bit 2c (low
/// nibbles) and bit 2c+1 (high nibbles). The super-block is the eight ggml blocks' size (8 × 176 bytes), and the quants
/// are 0..31 with no zero point (the minimum is its own term), as Q4_K's are 0..15.
/// </summary>
internal readonly unsafe struct PackedQ5_K : IPackedSuperBlockFormat, IFifthBits
{
    public static int MaxQuant => 31;

    public const int HighBitsOffset = PackedQ4_K.SuperBlockBytes;
    public const int SuperBlockBytes = HighBitsOffset + 8 * 32;

    // ggml block_q5_K: d, dmin, 12 scale bytes, qh[32], qs[128].
    private const int BlockHighOffset = 16, BlockQuantOffset = 48;

    public static GgmlType Type => GgmlType.Q5_K;
    static int IPackedSuperBlockFormat.SuperBlockBytes => SuperBlockBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy<TCopy>(byte* block, int lane, byte* superBlock) where TCopy : struct, ILaneCopy
    {
        PackedQ4_K.CopyScalesAndNibbles<TCopy>(block, block + BlockQuantOffset, lane, superBlock);
        for (int k = 0; k < 8; k++)
            TCopy.Word(block + BlockHighOffset + 4 * k, superBlock + HighBitsOffset + 32 * k + 4 * lane);
    }

    public static bool HasFiniteScales(byte* block) => PackedQ4_K.HasFiniteScales(block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Dot<TStep>(byte* superBlock, in PackedKActivations a, int s, Vector256<float> acc) where TStep : struct, IPackedStep
        => typeof(TStep) == typeof(MaddubsPackedStep)
            ? PackedQ5_KMaddubsDot.SuperBlock(superBlock, a, s, acc)
            : PackedScaleMinDot.SuperBlock<TStep, PackedQ5_K>(superBlock, SuperBlockBytes, a, s, acc);

    /// <summary>The AVX2 step without VNNI reads two groups per pass (<see cref="PackedQ5_KMaddubsDot.PairHalves"/>).</summary>
    public static bool PairsGroups<TStep>() where TStep : struct, IPackedStep => typeof(TStep) == typeof(MaddubsPackedStep);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PairDot<TStep>(byte* superBlockA, byte* superBlockB, in PackedKActivations a, int s,
        ref Vector256<float> accA, ref Vector256<float> accB) where TStep : struct, IPackedStep
        => PackedScaleMinDot.SuperBlockPair<PackedQ5_KMaddubsDot.PairHalves>(superBlockA, superBlockB, a, s, ref accA, ref accB);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Load(byte* p, int k) => Vector256.Load(p + HighBitsOffset + 32 * k);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Low(Vector256<byte> bits, int chunk) => Nibbles.Field(bits, 2 * chunk, 1, 4);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> High(Vector256<byte> bits, int chunk) => Nibbles.Field(bits, 2 * chunk + 1, 1, 4);
}
