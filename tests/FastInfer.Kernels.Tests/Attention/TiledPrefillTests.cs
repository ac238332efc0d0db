using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Threading;
using FastInfer.Kernels.Tests.Support;
using static FastInfer.Kernels.Tests.Attention.AttentionTests;
using static FastInfer.Kernels.Tests.Support.HalfValues;
using KernelAttention = FastInfer.Kernels.Ops.Attention;

namespace FastInfer.Kernels.Tests.Attention;

/// <summary>The tiled prefill kernel on the 256-bit path, named explicitly, against the double reference.</summary>
public class TiledPrefillTests
{
    public static TheoryData<int, int, int> Cases
    {
        get
        {
            // (queries, group, head size): 64 and 128 are whole 24-column panels plus an 8-column tail, 40 a 24 + 16 split;
            // 36 is not whole ymm vectors and keeps the per-query job. Query counts cross the 4-row tile, the 64-row item
            // and the 96-key step.
            var data = new TheoryData<int, int, int>();
            int[] headDims = [64, 128, 40];
            int n = 0;
            foreach (int queries in new[] { 2, 3, 17, 64, 100 })
                foreach (int group in new[] { 1, 2, 4, 8 })
                    data.Add(queries, group, headDims[n++ % headDims.Length]);
            data.Add(17, 4, 36);
            return data;
        }
    }

    [SkippableTheory, MemberData(nameof(Cases))]
    public void Avx2_prefill_matches_the_reference_for_any_start_window_and_thread_count(int queryCount, int group, int headDim)
    {
        Skip.IfNot(Avx2.IsSupported && Fma.IsSupported, "no AVX2 on this CPU");
        const int kvHeads = 2;
        int heads = kvHeads * group;
        foreach (var (firstPosition, window) in new[] { (0, 0), (45, 0), (45, 23), (130, 100) })
        {
            int positions = firstPosition + queryCount;
            var q = RandomData.Uniform(queryCount * heads * headDim, 31, -2f, 2f);
            var kf = RandomData.Uniform(positions * kvHeads * headDim, 32, -2f, 2f);
            var vf = RandomData.Uniform(positions * kvHeads * headDim, 33);
            var kh = ToHalf(kf);
            var vh = ToHalf(vf);
            (int, int) Span(int i)
            {
                int end = firstPosition + i + 1;
                return (window > 0 ? Math.Max(0, end - window) : 0, end);
            }
            var expected = AttentionReference.Compute(q, queryCount, kf, vf, heads, kvHeads, headDim, Span);
            var halfExpected = AttentionReference.Compute(q, queryCount, AsFloats(kh), AsFloats(vh), heads, kvHeads, headDim, Span);
            ThreadCounts.AssertCloseAndIdentical(q.Length, expected, halfExpected, $"prefill start {firstPosition}, window {window}",
                (pool, output) => KernelAttention.Prefill(q, queryCount, firstPosition, kf, vf, heads, kvHeads, headDim, output, pool, window, IsaPath.Avx2),
                (pool, output) => KernelAttention.Prefill(q, queryCount, firstPosition, kh, vh, heads, kvHeads, headDim, output, pool, window, IsaPath.Avx2));
        }
    }

    public static TheoryData<IsaPath> TiledPaths => new() { IsaPath.Avx2, IsaPath.Avx512 };

    [SkippableTheory, MemberData(nameof(TiledPaths))]
    public void An_infinity_or_NaN_in_the_cache_reaches_only_the_queries_that_see_it(IsaPath path)
    {
        // A key tile holds positions that some of its queries do not see (later ones, or ones left of a window); their
        // weight is 0, and 0 · ∞ would be NaN. The per-query job on the scalar path never touches them: it is the oracle.
        // The 512-bit shape runs in software where AVX-512 is missing.
        Skip.IfNot(Avx2.IsSupported && Fma.IsSupported, "no AVX2 on this CPU");
        const int kvHeads = 2, group = 4, headDim = 64, firstPosition = 20, queryCount = 90, window = 40;
        int heads = kvHeads * group, kvRow = kvHeads * headDim, positions = firstPosition + queryCount;
        var q = RandomData.Uniform(queryCount * heads * headDim, 34, -2f, 2f);
        var k = ToHalf(RandomData.Uniform(positions * kvRow, 35, -2f, 2f));
        var v = ToHalf(RandomData.Uniform(positions * kvRow, 36));
        v[70 * kvRow + 5] = Half.PositiveInfinity;     // KV head 0: column 5 of queries 50..89 becomes +∞
        k[60 * kvRow + headDim + 7] = Half.NaN;         // KV head 1: queries 40..79 become NaN
        var expected = new float[q.Length];
        KernelAttention.Prefill(q, queryCount, firstPosition, k, v, heads, kvHeads, headDim, expected, ComputePool.SingleThreaded, window, IsaPath.Scalar);
        var output = new float[q.Length];
        KernelAttention.Prefill(q, queryCount, firstPosition, k, v, heads, kvHeads, headDim, output, ComputePool.SingleThreaded, window, path);
        int infinite = 0, nan = 0;
        for (int i = 0; i < q.Length; i++)
        {
            if (float.IsNaN(expected[i]))
            {
                nan++;
                Assert.True(float.IsNaN(output[i]), $"[{i}]: expected NaN, got {output[i]}");
            }
            else if (float.IsInfinity(expected[i]))
            {
                infinite++;
                Assert.Equal(expected[i], output[i]);
            }
            else
                Tolerance.Close(expected[i], output[i], relative: 1e-5, absolute: 2e-6, $"[{i}]");
        }
        Assert.Equal(40 * group, infinite);
        Assert.Equal(40 * group * headDim, nan);
    }
}
