using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Q4_1's and Q5_1's block sums for <see cref="PackedPairKernel{TSum}"/>: their quants lie as Q4_0's and Q5_0's do
/// (<see cref="PackedWithMinimums{TQuants}"/>), so <typeparamref name="TQuants"/>'s sums serve unchanged, read without a
/// zero point; the rows' minimums follow the quants in each group block, and the kernel adds them with the activation
/// block's d·Σa as the 8-row kernels do.
/// </summary>
internal readonly unsafe struct PairWithMinimums<TQuants> : IPairBlockSum where TQuants : struct, IPairBlockSum
{
    public static int QuantBytesPerBlock => TQuants.QuantBytesPerBlock + PackedLayout.GroupRows * sizeof(ushort);
    public static int ZeroPoint => 0;
    public static bool HasMinimum => true;
    public static int MinimumOffset => TQuants.QuantBytesPerBlock;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Sum(byte* quants, long partnerOffset, Vector512<int> activationQuads)
        => TQuants.Sum(quants, partnerOffset, activationQuads);
}
