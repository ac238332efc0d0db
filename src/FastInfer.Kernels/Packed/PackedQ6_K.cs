using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Q6_K in the row-interleaved layout: each super-block of a group is exactly the eight ggml blocks' size (8 × 210
/// bytes), lane r = row r:
/// <list type="bullet">
/// <item>bytes 0–15: the eight rows' d (F16, converted like <see cref="PackedScales"/>);</item>
/// <item>bytes 16–143: the sixteen int8 scales as four vectors, vector i lane r = row r's scales 4i..4i+3;</item>
/// <item>bytes 144–1679: for each half h (128 columns) and k = 0..7, three vectors — lane r holds row r's ql bytes
/// 64h+4k.., ql bytes 64h+32+4k.. and qh bytes 32h+4k.. — which give the 6-bit quants of columns 4k.. of the half's
/// four 32-column quarters (ggml's order: low nibbles, then high, of the two ql runs, with qh's bit pairs in turn).</item>
/// </list>
/// The quants stay unsigned (0..63) with ggml's zero point of 32, which the kernel removes once per super-block.
/// </summary>
internal readonly unsafe struct PackedQ6_K : IPackedSuperBlockFormat
{
    public const int ScaleOffset = 16;
    public const int QuantOffset = 144;
    /// <summary>The three vectors of one (half, k) step.</summary>
    public const int StepBytes = 3 * 32;
    public const int SuperBlockBytes = PackedLayout.GroupRows * (128 + 64 + 16 + 2);

    private const int HighOffset = 128, ScalesOffset = 192, DOffset = 208;

    public static GgmlType Type => GgmlType.Q6_K;
    static int IPackedSuperBlockFormat.SuperBlockBytes => SuperBlockBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy<TCopy>(byte* block, int lane, byte* superBlock) where TCopy : struct, ILaneCopy
    {
        TCopy.Half(block + DOffset, superBlock + 2 * lane);
        for (int i = 0; i < 4; i++)
            TCopy.Word(block + ScalesOffset + 4 * i, superBlock + ScaleOffset + 32 * i + 4 * lane);
        for (int half = 0; half < 2; half++)
        {
            for (int k = 0; k < 8; k++)
            {
                byte* step = superBlock + QuantOffset + (half * 8 + k) * StepBytes + 4 * lane;
                TCopy.Word(block + 64 * half + 4 * k, step);
                TCopy.Word(block + 64 * half + 32 + 4 * k, step + 32);
                TCopy.Word(block + HighOffset + 32 * half + 4 * k, step + 64);
            }
        }
    }

    public static bool HasFiniteScales(byte* block) => PackedScales.IsFinite(Unsafe.ReadUnaligned<ushort>(block + DOffset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Dot<TStep>(byte* superBlock, in PackedKActivations a, int s, Vector256<float> acc) where TStep : struct, IPackedStep
    {
        PackedPrefetch.Lines(superBlock, 0, (QuantOffset + 63) / 64);
        return typeof(TStep) == typeof(MaddubsPackedStep)
            ? PackedQ6_KMaddubsDot.SuperBlock(superBlock, a, s, acc)
            : PackedQ6_KDot.SuperBlock<TStep>(superBlock, a, s, acc);
    }

    /// <summary>The AVX2 step without VNNI reads two groups per pass (<see cref="PackedQ6_KMaddubsDot.SuperBlockPair"/>).</summary>
    public static bool PairsGroups<TStep>() where TStep : struct, IPackedStep => typeof(TStep) == typeof(MaddubsPackedStep);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PairDot<TStep>(byte* superBlockA, byte* superBlockB, in PackedKActivations a, int s,
        ref Vector256<float> accA, ref Vector256<float> accB) where TStep : struct, IPackedStep
    {
        PackedPrefetch.Lines(superBlockA, 0, (QuantOffset + 63) / 64);
        PackedPrefetch.Lines(superBlockB, 0, (QuantOffset + 63) / 64);
        PackedQ6_KMaddubsDot.SuperBlockPair(superBlockA, superBlockB, a, s, ref accA, ref accB);
    }
}
