using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Decode on the AVX-512 path, sixteen rows (a <see cref="PackedPair"/>) per pass: each block's exact int sums come from
/// <typeparamref name="TSum"/>, then the zero-point correction and one FMA per block with the rows' and the activation's
/// scales (and for a format with minimums a second, of the rows' minimums and the activation block's d·Σa), in block
/// order — the same int and the same float chain per row as the 8-row kernels (<see cref="PackedDot.Scale{TFormat}"/>), so
/// the bits match them.
/// </summary>
internal unsafe struct PackedPairKernel<TSum> : IPackedPairKernel where TSum : struct, IPairBlockSum
{
    public int Blocks;
    public PackedActivations A;

    // A call of its own, fully optimized (see IPackedPairKernel).
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public readonly Vector512<float> Pair(byte* low, long partnerOffset)
    {
        byte* quants = A.Quants(0);
        float* scales = A.Scales(0);
        int* corrections = A.Corrections(0);
        float* minimumScales = A.MinimumScales(0);
        var acc = Vector512<float>.Zero;
        long chunkBytes = PackedLayout.ChunkBytes(TSum.QuantBytesPerBlock);
        // Walks the chunks (scales, then up to four blocks of quants) with running pointers.
        byte* chunk = low;
        for (int first = 0; first < Blocks; first += PackedLayout.ChunkBlocks)
        {
            int end = Math.Min(first + PackedLayout.ChunkBlocks, Blocks);
            byte* q = chunk + PackedLayout.ChunkScaleBytes;
            byte* rowScaleHalves = chunk;
            PackedPair.PrefetchAhead(low, chunk - low, partnerOffset, PackedLayout.ChunkScaleBytes);
            for (int b = first; b < end; b++)
            {
                PackedPair.PrefetchAhead(low, q - low, partnerOffset, TSum.QuantBytesPerBlock);
                var activationQuads = Vector256.Load((int*)(quants + b * 32)).ToVector512Unsafe();
                var sum = TSum.Sum(q, partnerOffset, activationQuads) + Vector512.Create(corrections[b]);
                var rowScales = PackedPair.Scales(rowScaleHalves, partnerOffset);
                acc = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(sum), rowScales * Vector512.Create(scales[b]), acc);
                if (TSum.HasMinimum)
                    acc = Vector512.FusedMultiplyAdd(PackedPair.Scales(q + TSum.MinimumOffset, partnerOffset), Vector512.Create(minimumScales[b]), acc);
                q += TSum.QuantBytesPerBlock;
                rowScaleHalves += PackedLayout.ScaleBytesPerBlock;
            }
            chunk += chunkBytes;
        }
        return acc;
    }
}
