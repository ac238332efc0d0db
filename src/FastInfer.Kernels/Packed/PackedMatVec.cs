using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Decode over the packed layout: the pool hands out runs of groups (eight rows each). A thread reads each run front to
/// back, one group per pass (<see cref="PackedDot.Group"/>, prefill's bits), or, for a format that
/// <see cref="IPackedFormat.ReadsTwoStreams"/>, as the two streams of <see cref="TwoStreams"/>, one group from each per
/// pass: a block's activation broadcasts then feed both groups (<see cref="PackedDot.HalfPair"/>), and each group keeps
/// the exact int sums and the float chain of <see cref="PackedDot.Group"/>, so the bits do not depend on the pairing, the
/// runs or the thread count. Each chunk's lines are asked for <see cref="PackedPrefetch.Distance"/> ahead in every stream.
/// Q8_0 reads two streams; Q5_0 (AVX-512 path) and Q4_0 (AVX2 path), whose blocks take more unpacking, ran at half the
/// speed or no faster that way in the same in-process comparison, so they read one.
/// </summary>
internal unsafe struct PackedMatVec<TFormat, TStep> : IRowJob
    where TFormat : struct, IPackedFormat where TStep : struct, IPackedStep
{
    public PackedView View;
    public int Rows;
    public int Blocks;
    public PackedActivations A;
    public float* Y;

    public void Execute(int firstGroup, int endGroup)
    {
        int half = TFormat.ReadsTwoStreams ? TwoStreams.Half(firstGroup, endGroup) : 0;
        for (int i = 0; i < half; i++)
        {
            int groupA = firstGroup + i, groupB = groupA + half;
            var (lanesA, lanesB) = Two(GroupAt(groupA), GroupAt(groupB));
            PackedDot.Store(lanesA, Y, groupA * PackedLayout.GroupRows - View.RowOffset, Rows);
            PackedDot.Store(lanesB, Y, groupB * PackedLayout.GroupRows - View.RowOffset, Rows);
        }
        for (int g = firstGroup + 2 * half; g < endGroup; g++)
        {
            var lanes = PackedDot.Group<TFormat, TStep>(GroupAt(g), Blocks, A.Quants(0), A.Scales(0), A.Corrections(0), prefetchAhead: true);
            PackedDot.Store(lanes, Y, g * PackedLayout.GroupRows - View.RowOffset, Rows);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly byte* GroupAt(int group) => (byte*)View.FirstGroup + group * View.GroupBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly (Vector256<float> A, Vector256<float> B) Two(byte* groupA, byte* groupB)
    {
        byte* quants = A.Quants(0);
        float* scales = A.Scales(0);
        int* corrections = A.Corrections(0);
        var accA = Vector256<float>.Zero;
        var accB = Vector256<float>.Zero;
        int chunkBytes = (int)PackedLayout.ChunkBytes(TFormat.QuantBytesPerBlock);
        for (int b = 0; b < Blocks; b++)
        {
            if (b % PackedLayout.ChunkBlocks == 0)
            {
                PackedPrefetch.Ahead(PackedLayout.Scales(groupA, b, TFormat.QuantBytesPerBlock), chunkBytes);
                PackedPrefetch.Ahead(PackedLayout.Scales(groupB, b, TFormat.QuantBytesPerBlock), chunkBytes);
            }
            byte* quantsA = PackedLayout.Quants(groupA, b, TFormat.QuantBytesPerBlock);
            byte* quantsB = PackedLayout.Quants(groupB, b, TFormat.QuantBytesPerBlock);
            byte* activation = quants + b * 32;
            var sumA = PackedDot.Start<TStep>(corrections + b);
            var sumB = sumA;
            TFormat.UnpackHalf(quantsA, 0, out var a0, out var a1, out var a2, out var a3);
            TFormat.UnpackHalf(quantsB, 0, out var b0, out var b1, out var b2, out var b3);
            PackedDot.HalfPair<TStep>(a0, a1, a2, a3, b0, b1, b2, b3, activation, ref sumA, ref sumB);
            TFormat.UnpackHalf(quantsA, 1, out a0, out a1, out a2, out a3);
            TFormat.UnpackHalf(quantsB, 1, out b0, out b1, out b2, out b3);
            PackedDot.HalfPair<TStep>(a0, a1, a2, a3, b0, b1, b2, b3, activation + 16, ref sumA, ref sumB);
            accA = PackedDot.Scale(sumA, PackedScales.Load(PackedLayout.Scales(groupA, b, TFormat.QuantBytesPerBlock)), scales + b, accA);
            accB = PackedDot.Scale(sumB, PackedScales.Load(PackedLayout.Scales(groupB, b, TFormat.QuantBytesPerBlock)), scales + b, accB);
        }
        return (accA, accB);
    }
}
