using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Decode of two groups at once on the 256-bit path: block b of one group beside block b of the other, each activation
/// broadcast feeding both, while both groups' lines are asked for ahead. <see cref="PackedMatVec{TFormat, TStep}"/> pairs
/// group i of the first half of a thread's run with group i of the second (<see cref="TwoStreams"/>), so the thread reads
/// two streams that advance together. Each row's int sums are exact and its float chain is <see cref="PackedDot.Scale"/>
/// per block in block order, so every row has the bits of <see cref="PackedDot.Group"/>.
/// </summary>
internal static unsafe class PackedGroupPair
{
    /// <summary>The eight lanes (rows) of the groups at <paramref name="groupA"/> and <paramref name="groupB"/> against one token.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Lanes<TFormat, TStep>(byte* groupA, byte* groupB, int blocks, byte* quants, float* scales, int* corrections,
        float* minimumScales, out Vector256<float> lanesA, out Vector256<float> lanesB)
        where TFormat : struct, IPackedFormat where TStep : struct, IPackedStep
    {
        var accA = Vector256<float>.Zero;
        var accB = Vector256<float>.Zero;
        // Both groups have the same layout, so each of B's bytes lies this far after A's.
        long apart = groupB - groupA;
        int chunkBytes = (int)PackedLayout.ChunkBytes(TFormat.QuantBytesPerBlock);
        int blockLines = (TFormat.QuantBytesPerBlock + 63) / 64;
        byte* chunk = groupA;
        for (int b0 = 0; b0 < blocks; b0 += PackedLayout.ChunkBlocks, chunk += chunkBytes)
        {
            int count = Math.Min(PackedLayout.ChunkBlocks, blocks - b0);
            byte* blockQuants = chunk + PackedLayout.ChunkScaleBytes, blockScales = chunk;
            PackedPrefetch.LineOf(chunk);
            PackedPrefetch.LineOf(chunk + apart);
            for (int j = 0; j < count; j++)
            {
                PackedPrefetch.Lines(blockQuants, 0, blockLines);
                PackedPrefetch.Lines(blockQuants + apart, 0, blockLines);
                Sums<TFormat, TStep>(blockQuants, blockQuants + apart, quants, corrections, out var sumA, out var sumB);
                accA = PackedDot.Scale<TFormat>(sumA, PackedScales.Load(blockScales), TFormat.Minimums(blockQuants), scales, minimumScales, accA);
                accB = PackedDot.Scale<TFormat>(sumB, PackedScales.Load(blockScales + apart), TFormat.Minimums(blockQuants + apart),
                    scales, minimumScales, accB);
                blockQuants += TFormat.QuantBytesPerBlock;
                blockScales += PackedLayout.ScaleBytesPerBlock;
                quants += 32;
                scales++;
                corrections++;
                minimumScales++;
            }
        }
        lanesA = accA;
        lanesB = accB;
    }

    /// <summary>
    /// The two blocks' exact int sums. Formats whose <see cref="MaddubsPackedStep.Int16Run"/> is at least 4 sum their
    /// vpmaddubsw results in int16 and widen once (a run of 8) or twice, as <see cref="MaddubsPackedStep.Block"/> does for
    /// one group, with the column quads written out so that each one's unpacking is fixed when the JIT compiles it. The
    /// other steps take each half block of both groups through <see cref="PackedDot.HalfPair"/>, prefill's pair step.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Sums<TFormat, TStep>(byte* a, byte* b, byte* quants, int* correction, out Vector256<int> sumA, out Vector256<int> sumB)
        where TFormat : struct, IPackedFormat where TStep : struct, IPackedStep
    {
        var start = PackedDot.Start<TStep>(correction);
        int run = typeof(TStep) == typeof(MaddubsPackedStep) ? MaddubsPackedStep.Int16Run(TFormat.MaxQuant) : 0;
        if (run >= 4)
        {
            var ones = Vector256.Create((short)1);
            Vector256<short> pa = default, pb = default;
            Products<TFormat>(a, b, quants, 0, ref pa, ref pb);
            Products<TFormat>(a, b, quants, 1, ref pa, ref pb);
            Products<TFormat>(a, b, quants, 2, ref pa, ref pb);
            Products<TFormat>(a, b, quants, 3, ref pa, ref pb);
            Vector256<int> firstA = default, firstB = default;
            if (run < 8)
            {
                // Q5's quants (up to 31) allow runs of four: the first half widens before the second begins.
                firstA = Avx2.MultiplyAddAdjacent(pa, ones);
                firstB = Avx2.MultiplyAddAdjacent(pb, ones);
                pa = default;
                pb = default;
            }
            Products<TFormat>(a, b, quants, 4, ref pa, ref pb);
            Products<TFormat>(a, b, quants, 5, ref pa, ref pb);
            Products<TFormat>(a, b, quants, 6, ref pa, ref pb);
            Products<TFormat>(a, b, quants, 7, ref pa, ref pb);
            sumA = start + Avx2.MultiplyAddAdjacent(pa, ones);
            sumB = start + Avx2.MultiplyAddAdjacent(pb, ones);
            if (run < 8)
            {
                sumA += firstA;
                sumB += firstB;
            }
            return;
        }
        sumA = start;
        sumB = start;
        TFormat.UnpackHalf(a, 0, out var a0, out var a1, out var a2, out var a3);
        TFormat.UnpackHalf(b, 0, out var b0, out var b1, out var b2, out var b3);
        PackedDot.HalfPair<TStep>(a0, a1, a2, a3, b0, b1, b2, b3, quants, ref sumA, ref sumB);
        TFormat.UnpackHalf(a, 1, out a0, out a1, out a2, out a3);
        TFormat.UnpackHalf(b, 1, out b0, out b1, out b2, out b3);
        PackedDot.HalfPair<TStep>(a0, a1, a2, a3, b0, b1, b2, b3, quants + 16, ref sumA, ref sumB);
    }

    /// <summary>Column quad <paramref name="k"/> of both blocks into their int16 runs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Products<TFormat>(byte* a, byte* b, byte* quants, int k, ref Vector256<short> pa, ref Vector256<short> pb)
        where TFormat : struct, IPackedFormat
    {
        var x = PackedDot.Broadcast(quants + 4 * k);
        pa += Avx2.MultiplyAddAdjacent(TFormat.Quad(a, k), x);
        pb += Avx2.MultiplyAddAdjacent(TFormat.Quad(b, k), x);
    }
}
