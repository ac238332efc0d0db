using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops.AttentionKernels;
using FastInfer.Kernels.Threading;
using FastInfer.Kernels.Tests.Support;
using static FastInfer.Kernels.Tests.Support.HalfValues;
using KernelAttention = FastInfer.Kernels.Ops.Attention;

namespace FastInfer.Kernels.Tests.Attention;

/// <summary>
/// Decode on the AVX2 path by name, where heads of whole 256-bit vectors run <see cref="GroupTile256"/> (16 positions read
/// in place, up to four heads of a group per K or V load) and other heads the copying path: against the double
/// reference, for F32 and F16 caches, contexts that end inside a tile, windows, groups of one to eight heads, and one,
/// two and three threads giving the same bits.
/// </summary>
public class Avx2DecodeTileTests
{
    private const int KvHeads = 2;

    public static TheoryData<int, int, int, int> Shapes
    {
        get
        {
            // (group, head size, first, end): 64 and 128 are whole vectors of both widths, 40 takes a one-vector pass at the
            // end of each row, 36 is not whole 256-bit vectors and takes the copying path. Ends cross the 16-position tile
            // and the 128-position block; a first position above 0 is a sliding window's start.
            var data = new TheoryData<int, int, int, int>();
            foreach (int headDim in new[] { 64, 128 })
                foreach (int group in new[] { 1, 2, 3, 4, 8 })
                    foreach (int end in new[] { 1, 7, 15, 17, 129, 300 })
                        data.Add(group, headDim, 0, end);
            foreach (var (group, headDim) in new[] { (1, 40), (3, 40), (4, 40), (8, 40), (2, 36), (4, 36) })
                foreach (int end in new[] { 7, 17, 300 })
                    data.Add(group, headDim, 0, end);
            foreach (var (group, headDim, first, end) in new[] { (4, 128, 5, 17), (1, 64, 37, 300), (3, 128, 120, 129), (8, 64, 6, 7), (2, 40, 100, 300), (4, 36, 37, 300) })
                data.Add(group, headDim, first, end);
            return data;
        }
    }

    [SkippableTheory, MemberData(nameof(Shapes))]
    public void Decode_matches_the_reference_with_the_same_bits_for_any_thread_count(int group, int headDim, int first, int end)
    {
        Skip.IfNot(IsaPaths.Paths.Contains(IsaPath.Avx2), "no AVX2 on this CPU");
        Assert.Equal(headDim % 8 == 0, GroupTile256.Fits(headDim, IsaPath.Avx2));
        int heads = KvHeads * group;
        var q = RandomData.Uniform(heads * headDim, 31, -2f, 2f);
        var k = RandomData.Uniform(end * KvHeads * headDim, 32, -2f, 2f);
        var v = RandomData.Uniform(end * KvHeads * headDim, 33);
        var kh = ToHalf(k);
        var vh = ToHalf(v);
        var expected = AttentionReference.Compute(q, 1, k, v, heads, KvHeads, headDim, _ => (first, end));
        var halfExpected = AttentionReference.Compute(q, 1, AsFloats(kh), AsFloats(vh), heads, KvHeads, headDim, _ => (first, end));
        var output = new float[q.Length];
        var halfOutput = new float[q.Length];
        KernelAttention.Decode(q, k, v, first, end, heads, KvHeads, headDim, output, ComputePool.SingleThreaded, IsaPath.Avx2);
        KernelAttention.Decode(q, kh, vh, first, end, heads, KvHeads, headDim, halfOutput, ComputePool.SingleThreaded, IsaPath.Avx2);
        Tolerance.Close(expected, output, relative: 1e-5, absolute: 2e-6, "decode");
        Tolerance.Close(halfExpected, halfOutput, relative: 1e-5, absolute: 2e-6, "decode f16");
        ThreadCounts.AssertIdenticalForOneTwoAndThree(q.Length,
            (pool, o) => KernelAttention.Decode(q, k, v, first, end, heads, KvHeads, headDim, o, pool, IsaPath.Avx2));
        ThreadCounts.AssertIdenticalForOneTwoAndThree(q.Length,
            (pool, o) => KernelAttention.Decode(q, kh, vh, first, end, heads, KvHeads, headDim, o, pool, IsaPath.Avx2));
        if (GroupTile256.Fits(headDim, IsaPath.Avx2))
        {
            // The tile reads halves as value·2^-112 against a query scaled by 2^112: the same products, so the same bits.
            var widened = new float[q.Length];
            KernelAttention.Decode(q, AsFloats(kh), AsFloats(vh), first, end, heads, KvHeads, headDim, widened, ComputePool.SingleThreaded, IsaPath.Avx2);
            Assert.Equal(widened, halfOutput);
        }
    }

    public static TheoryData<int, int, int, int, bool> SpecialValueShapes
    {
        get
        {
            var data = new TheoryData<int, int, int, int, bool>();
            foreach (var (group, headDim, first, end) in new[] { (4, 128, 0, 200), (3, 64, 0, 129), (1, 128, 37, 300), (8, 40, 5, 17) })
                foreach (bool hugeQuery in new[] { false, true })
                    data.Add(group, headDim, first, end, hugeQuery);
            return data;
        }
    }

    [SkippableTheory, MemberData(nameof(SpecialValueShapes))]
    public void Infinities_NaNs_and_huge_queries_give_what_a_float_cache_of_the_same_values_gives(int group, int headDim, int first, int end,
        bool hugeQuery)
    {
        // Tiles holding an infinity or NaN, and every tile when a query is too large to scale (|q| ≥ 2^15), are widened
        // exactly and run as F32, so the half cache's result must be the float cache's, bit for bit, and the same on any
        // thread count.
        Skip.IfNot(IsaPaths.Paths.Contains(IsaPath.Avx2), "no AVX2 on this CPU");
        int heads = KvHeads * group, kvRow = KvHeads * headDim;
        var q = RandomData.Uniform(heads * headDim, 34, -2f, 2f);
        if (hugeQuery)
            q[(heads - 1) * headDim + 3] = 40000f; // a head of KV head 1, whose outputs are NaN anyway
        var k = ToHalf(RandomData.Uniform(end * kvRow, 35, -2f, 2f));
        var v = ToHalf(RandomData.Uniform(end * kvRow, 36));
        for (int i = 0; i < k.Length; i += 89)
            k[i] = BitConverter.UInt16BitsToHalf((ushort)(i % 2 == 0 ? 0x0005 : 0x83fe)); // subnormals of either sign
        v[(end - 2) * kvRow + 5] = Half.PositiveInfinity;                  // KV head 0, in the last (partial) tile
        k[(first + (end - first) / 2) * kvRow + headDim + 7] = Half.NaN;   // KV head 1
        var halfOutput = new float[q.Length];
        var floatOutput = new float[q.Length];
        KernelAttention.Decode(q, k, v, first, end, heads, KvHeads, headDim, halfOutput, ComputePool.SingleThreaded, IsaPath.Avx2);
        KernelAttention.Decode(q, AsFloats(k), AsFloats(v), first, end, heads, KvHeads, headDim, floatOutput, ComputePool.SingleThreaded, IsaPath.Avx2);
        Assert.Equal(floatOutput, halfOutput);
        ThreadCounts.AssertIdenticalForOneTwoAndThree(q.Length,
            (pool, o) => KernelAttention.Decode(q, k, v, first, end, heads, KvHeads, headDim, o, pool, IsaPath.Avx2));
        for (int h = 0; h < group; h++)
        {
            Assert.Equal(float.PositiveInfinity, halfOutput[h * headDim + 5]);
            Assert.True(float.IsFinite(halfOutput[h * headDim + 6]));
            Assert.True(float.IsNaN(halfOutput[(group + h) * headDim]));
        }
    }
}
