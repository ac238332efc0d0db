using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// What a packed format contributes to the AVX-512 pair kernel (<see cref="PackedPairKernel{TSum}"/>): the exact int
/// sums of one block of two groups against one activation block, the group in lanes 0–7 and its partner in lanes 8–15,
/// before the zero-point correction.
/// </summary>
internal unsafe interface IPairBlockSum
{
    static abstract int QuantBytesPerBlock { get; }

    static abstract int ZeroPoint { get; }

    /// <summary>Whether each group block also holds its rows' minimums (Q4_1, Q5_1: x = d·q + m), at <see cref="MinimumOffset"/>.</summary>
    static virtual bool HasMinimum => false;

    /// <summary>Where a group block's eight F16 minimums start, for a format that has them.</summary>
    static virtual int MinimumOffset => 0;

    /// <param name="quants">the group's quant vectors of the block; the partner's lie <paramref name="partnerOffset"/> bytes on.</param>
    /// <param name="activationQuads">the block's 32 activation bytes as eight int quads in the lower half.</param>
    static abstract Vector512<int> Sum(byte* quants, long partnerOffset, Vector512<int> activationQuads);
}
