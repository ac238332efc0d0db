using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks.Simd;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Q8_0's block sums for <see cref="PackedPairKernel{TSum}"/>, without a 512-bit vpdpbusd (this runtime exposes none
/// here): each stored weight w = q+128 is split into its nibbles, w = 16·high + low, so vpmaddubsw sees only values
/// ≤ 15 and cannot saturate, exactly as for Q4_0. Both nibbles of a byte belong to the same column, so they meet the
/// same activation vector (<see cref="PackedPair.Spread"/>, four permutes per block shared by both groups). Per group a
/// block is four 512-bit loads (quant vectors k, k+1); the low and high nibbles sum in int16 separately (at most eight
/// steps of two products ≤ 15·128 per lane after <see cref="PackedPair.Fold"/>), and the widening vpmaddwd weighs the
/// high sums by 16: the same exact int per row as vpdpbusd gives. Against the 256-bit two-stream VNNI kernel it replaced
/// on this path, in `bench-kernels` runs alternated with the previous build, matrix-vector Q8_0 reached 75–83% of the
/// read bandwidth instead of 58–70%, and tinyllama-1.1b Q8_0 decoded at 38.8–42.7 tok/s instead of 27.7–35.6
/// (`fastinfer generate`, 128 tokens, two threads, three alternated runs each).
/// </summary>
internal readonly unsafe struct PairQ8_0Sum : IPairBlockSum
{
    public static int QuantBytesPerBlock => PackedQ8_0.QuantBytesPerBlock;
    public static int ZeroPoint => PackedQ8_0.ZeroPoint;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Sum(byte* quants, long partnerOffset, Vector512<int> activationQuads)
    {
        PackedPair.SpreadBlock(activationQuads, out var a01, out var a23, out var a45, out var a67);
        PackedPair.NibbleSums(quants, a01, a23, a45, a67, a01, a23, a45, a67, out var lowA, out var highA);
        PackedPair.NibbleSums(quants + partnerOffset, a01, a23, a45, a67, a01, a23, a45, a67, out var lowB, out var highB);
        return PackedPair.Widen(PackedPair.Fold(lowA, lowB))
            + Avx512Ops.MultiplyAddAdjacent(PackedPair.Fold(highA, highB), Vector512.Create((short)16));
    }
}
