using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Decode over a packed K-quant: each thread reads its run of groups front to back, one stream (two for a format that
/// pairs groups, below); the group's eight rows
/// in the lanes of one vector, every super-block in order (so a row's float chain is the same for any thread count or row
/// slice). Each format's <see cref="IPackedSuperBlockFormat.Dot"/> asks for its super-block's lines
/// <see cref="PackedPrefetch.Distance"/> ahead itself, so that it can spread the requests among its loads. Q4_K read its runs as two
/// streams (<see cref="TwoStreams"/>) until session 13, chosen on a Zen 5 when the AVX-512 path still used this kernel;
/// on the AVX2-only Zen 3, in a trial harness outside the repository that alternated the two call by call, one stream
/// was the faster both from DRAM and from cache. Since session 23 a format with a pair dot product
/// (<see cref="IPackedSuperBlockFormat.PairsGroups"/>: Q4_K, and since session 24 Q5_K and Q6_K, on the AVX2 step) reads
/// group i of the first half beside group i of the second, super-block by super-block, each activation load feeding both,
/// as the block formats do (<see cref="PackedGroupPair"/>): in `bench-kernels` on the Zen 3, alternated with the build
/// before, each decoded faster from DRAM where the host's state allowed a comparison. From cache, in a trial harness,
/// the Q5_K and Q6_K pairs ran slower than one group per pass (Q6_K by about a tenth); Q4_K's did too until its halves
/// became methods of their own, after which it ran as fast. Pairing Q2_K and Q3_K with their dot
/// products unchanged, one super-block of each group in turn, was far slower from cache in a trial harness: the pairing
/// pays only where the activations are shared.
/// </summary>
internal unsafe struct PackedSuperBlockMatVec<TFormat, TStep> : IRowJob
    where TFormat : struct, IPackedSuperBlockFormat where TStep : struct, IPackedStep
{
    public PackedView View;
    public int Rows;
    public int SuperBlocks;
    public PackedKActivations A;
    public float* Y;

    // Not inlined into the pool's Invoke<TJob>, which a run on two threads goes through: there the kernel overran the
    // JIT's inlining budget and its helpers stayed calls.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Execute(int firstGroup, int endGroup)
    {
        if (TFormat.PairsGroups<TStep>())
        {
            int half = TwoStreams.Half(firstGroup, endGroup);
            for (int i = 0; i < half; i++)
            {
                int a = firstGroup + i, b = a + half;
                byte* groupA = GroupAt(a), groupB = GroupAt(b);
                var accA = Vector256<float>.Zero;
                var accB = Vector256<float>.Zero;
                for (int s = 0; s < SuperBlocks; s++)
                {
                    long at = (long)s * TFormat.SuperBlockBytes;
                    TFormat.PairDot<TStep>(groupA + at, groupB + at, A, s, ref accA, ref accB);
                }
                PackedDot.Store(accA, Y, a * PackedLayout.GroupRows - View.RowOffset, Rows);
                PackedDot.Store(accB, Y, b * PackedLayout.GroupRows - View.RowOffset, Rows);
            }
            firstGroup += 2 * half;
        }
        for (int g = firstGroup; g < endGroup; g++)
        {
            byte* group = GroupAt(g);
            var acc = Vector256<float>.Zero;
            for (int s = 0; s < SuperBlocks; s++)
            {
                acc = TFormat.Dot<TStep>(group + (long)s * TFormat.SuperBlockBytes, A, s, acc);
            }
            PackedDot.Store(acc, Y, g * PackedLayout.GroupRows - View.RowOffset, Rows);
        }
    }

    private readonly byte* GroupAt(int group) => (byte*)View.FirstGroup + group * View.GroupBytes;
}
