using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Threading;
using FastInfer.Kernels.Tests.Support;
using static FastInfer.Kernels.Tests.Support.HalfValues;
using KernelAttention = FastInfer.Kernels.Ops.Attention;

namespace FastInfer.Kernels.Tests.Attention;

public class AttentionTests
{
    public static TheoryData<IsaPath, int, int, int> DecodeCases
    {
        get
        {
            // (path, heads/kvHeads group, head size, cached positions): sizes cross the 64-position tile and vector tails.
            var data = new TheoryData<IsaPath, int, int, int>();
            foreach (var path in IsaPaths.Paths)
                foreach (var (group, headDim, positions) in new[] { (1, 16, 1), (2, 17, 65), (4, 64, 130), (1, 128, 64), (2, 8, 3), (1, 48, 70) })
                    data.Add(path, group, headDim, positions);
            return data;
        }
    }

    [Theory, MemberData(nameof(DecodeCases))]
    public void Decode_matches_two_pass_softmax(IsaPath path, int group, int headDim, int positions)
    {
        const int kvHeads = 2;
        int heads = kvHeads * group;
        var q = RandomData.Uniform(heads * headDim, 1, -2f, 2f);
        var k = RandomData.Uniform(positions * kvHeads * headDim, 2, -2f, 2f);
        var v = RandomData.Uniform(positions * kvHeads * headDim, 3);
        int first = positions > 10 ? 5 : 0;
        var expected = AttentionReference.Compute(q, 1, k, v, heads, kvHeads, headDim, _ => (first, positions));
        var output = new float[q.Length];
        KernelAttention.Decode(q, k, v, first, positions, heads, kvHeads, headDim, output, ComputePool.SingleThreaded, path);
        Tolerance.Close(expected, output, relative: 1e-5, absolute: 2e-6, "decode");
    }

    [Theory, MemberData(nameof(DecodeCases))]
    public void Decode_over_an_F16_cache_matches_the_widened_reference(IsaPath path, int group, int headDim, int positions)
    {
        const int kvHeads = 2;
        int heads = kvHeads * group;
        var q = RandomData.Uniform(heads * headDim, 4, -2f, 2f);
        var k = ToHalf(RandomData.Uniform(positions * kvHeads * headDim, 5, -2f, 2f));
        var v = ToHalf(RandomData.Uniform(positions * kvHeads * headDim, 6));
        var expected = AttentionReference.Compute(q, 1, AsFloats(k), AsFloats(v), heads, kvHeads, headDim, _ => (0, positions));
        var output = new float[q.Length];
        KernelAttention.Decode(q, k, v, 0, positions, heads, kvHeads, headDim, output, ComputePool.SingleThreaded, path);
        Tolerance.Close(expected, output, relative: 1e-5, absolute: 2e-6, "decode f16");
    }

    public static TheoryData<IsaPath, int, int> GroupedDecodeCases
    {
        get
        {
            // (path, group, head size): whole-vector heads take the AVX-512 group-tile kernel, groups above four run it in
            // chunks of four heads (8) or with a remainder (3, 5); 40 is the general path everywhere.
            var data = new TheoryData<IsaPath, int, int>();
            foreach (var path in IsaPaths.Paths)
                foreach (var (group, headDim) in new[] { (4, 128), (8, 64), (3, 48), (5, 16), (1, 32), (4, 40) })
                    data.Add(path, group, headDim);
            return data;
        }
    }

    [Theory, MemberData(nameof(GroupedDecodeCases))]
    public void Decode_of_any_group_matches_the_reference_for_any_thread_count(IsaPath path, int group, int headDim)
    {
        // 37..300 spans three 128-position blocks (the first and last partial) and 16-position tiles with a 12-row tail.
        const int kvHeads = 2, first = 37, positions = 300;
        int heads = kvHeads * group;
        var q = RandomData.Uniform(heads * headDim, 22, -2f, 2f);
        var k = RandomData.Uniform(positions * kvHeads * headDim, 23, -2f, 2f);
        var v = RandomData.Uniform(positions * kvHeads * headDim, 24);
        var expected = AttentionReference.Compute(q, 1, k, v, heads, kvHeads, headDim, _ => (first, positions));
        float[]? single = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var pool = new ComputePool(threads);
            var output = new float[q.Length];
            KernelAttention.Decode(q, k, v, first, positions, heads, kvHeads, headDim, output, pool, path);
            Tolerance.Close(expected, output, relative: 1e-5, absolute: 2e-6, $"decode {threads} threads");
            single ??= output;
            Assert.Equal(single, output);
        }
    }

    public static TheoryData<IsaPath, int, bool> HalfCacheCases
    {
        get
        {
            var data = new TheoryData<IsaPath, int, bool>();
            foreach (var path in IsaPaths.Paths)
                foreach (int headDim in new[] { 128, 40 })
                    foreach (bool hugeQuery in new[] { false, true })
                        data.Add(path, headDim, hugeQuery);
            return data;
        }
    }

    [Theory, MemberData(nameof(HalfCacheCases))]
    public void Decode_over_an_F16_cache_is_bit_identical_to_decode_over_its_values_as_floats(IsaPath path, int headDim, bool hugeQuery)
    {
        // The AVX-512 kernel reads halves as value·2^-112 against a query scaled by 2^112: every product is the same, so the
        // result must be too, bit for bit. Subnormal halves, an infinity in V and a NaN in K (tiles the kernel widens
        // exactly instead), and queries too large to scale (|q| ≥ 2^15) must not change that.
        const int kvHeads = 2, group = 4, positions = 200;
        int heads = kvHeads * group, kvRow = kvHeads * headDim;
        var q = RandomData.Uniform(heads * headDim, 25, -2f, 2f);
        if (hugeQuery)
            q[headDim + 3] = 40000f; // head 1 (head 0 keeps its +∞ column below)
        var k = ToHalf(RandomData.Uniform(positions * kvRow, 26, -2f, 2f));
        var v = ToHalf(RandomData.Uniform(positions * kvRow, 27));
        for (int i = 0; i < k.Length; i += 97)
            k[i] = BitConverter.UInt16BitsToHalf((ushort)(i % 2 == 0 ? 0x0003 : 0x83ff)); // subnormals of either sign
        v[150 * kvRow + 5] = Half.PositiveInfinity; // KV head 0: one output column of its heads becomes +∞
        k[60 * kvRow + headDim + 7] = Half.NaN;      // KV head 1: its heads' outputs become NaN
        var halfOutput = new float[q.Length];
        var floatOutput = new float[q.Length];
        KernelAttention.Decode(q, k, v, 0, positions, heads, kvHeads, headDim, halfOutput, ComputePool.SingleThreaded, path);
        KernelAttention.Decode(q, AsFloats(k), AsFloats(v), 0, positions, heads, kvHeads, headDim, floatOutput, ComputePool.SingleThreaded, path);
        Assert.Equal(floatOutput, halfOutput);
        Assert.Equal(float.PositiveInfinity, halfOutput[5]);
        Assert.True(float.IsNaN(halfOutput[group * headDim]));
        Assert.True(float.IsFinite(halfOutput[6]));
    }

    public static TheoryData<IsaPath, int, int, int> PrefillCases
    {
        get
        {
            // Head size 20 takes the general path everywhere, 24 the tiled one on AVX2 (whole ymm vectors) and the general
            // one on AVX-512, 32 the tiled one of either width.
            var data = new TheoryData<IsaPath, int, int, int>();
            foreach (var path in IsaPaths.Paths)
                foreach (int group in new[] { 1, 2, 4 })
                    foreach (int window in new[] { 0, 7 })
                        foreach (int headDim in new[] { 20, 24, 32 })
                            data.Add(path, group, window, headDim);
            return data;
        }
    }

    [Theory, MemberData(nameof(PrefillCases))]
    public void Prefill_is_causal_and_windowed_like_the_reference(IsaPath path, int group, int window, int headDim)
    {
        const int kvHeads = 2, firstPosition = 70, queryCount = 9;
        int heads = kvHeads * group, positions = firstPosition + queryCount;
        var q = RandomData.Uniform(queryCount * heads * headDim, 7, -2f, 2f);
        var k = RandomData.Uniform(positions * kvHeads * headDim, 8, -2f, 2f);
        var v = RandomData.Uniform(positions * kvHeads * headDim, 9);
        (int, int) Span(int i)
        {
            int end = firstPosition + i + 1;
            return (window > 0 ? Math.Max(0, end - window) : 0, end);
        }
        var expected = AttentionReference.Compute(q, queryCount, k, v, heads, kvHeads, headDim, Span);
        var output = new float[q.Length];
        KernelAttention.Prefill(q, queryCount, firstPosition, k, v, heads, kvHeads, headDim, output, ComputePool.SingleThreaded, window, path);
        Tolerance.Close(expected, output, relative: 1e-5, absolute: 2e-6, "prefill");

        var halfOutput = new float[q.Length];
        var kh = ToHalf(k);
        var vh = ToHalf(v);
        var halfExpected = AttentionReference.Compute(q, queryCount, AsFloats(kh), AsFloats(vh), heads, kvHeads, headDim, Span);
        KernelAttention.Prefill(q, queryCount, firstPosition, kh, vh, heads, kvHeads, headDim, halfOutput, ComputePool.SingleThreaded, window, path);
        Tolerance.Close(halfExpected, halfOutput, relative: 1e-5, absolute: 2e-6, "prefill f16");
    }

    [Theory, MemberData(nameof(IsaPaths.All), MemberType = typeof(IsaPaths))]
    public void Long_decode_merges_its_position_blocks_the_same_for_any_thread_count(IsaPath path)
    {
        // 150..700 spans six 128-position blocks (the first and last partial) and 32-position sub-tiles with a tail.
        const int heads = 8, kvHeads = 2, headDim = 40, first = 150, positions = 700;
        var q = RandomData.Uniform(heads * headDim, 16, -2f, 2f);
        var k = RandomData.Uniform(positions * kvHeads * headDim, 17, -2f, 2f);
        var v = RandomData.Uniform(positions * kvHeads * headDim, 18);
        var kh = ToHalf(k);
        var vh = ToHalf(v);
        var expected = AttentionReference.Compute(q, 1, k, v, heads, kvHeads, headDim, _ => (first, positions));
        var halfExpected = AttentionReference.Compute(q, 1, AsFloats(kh), AsFloats(vh), heads, kvHeads, headDim, _ => (first, positions));
        ThreadCounts.AssertCloseAndIdentical(q.Length, expected, halfExpected, "decode",
            (pool, output) => KernelAttention.Decode(q, k, v, first, positions, heads, kvHeads, headDim, output, pool, path),
            (pool, output) => KernelAttention.Decode(q, kh, vh, first, positions, heads, kvHeads, headDim, output, pool, path));
    }

    public static TheoryData<IsaPath, int, int, int> LongPrefillCases
    {
        get
        {
            // Head size 80 is one full 64-column block of the 512-bit tiled kernel plus a 16-column one (three 24-column
            // panels plus an 8-column one at 256 bits); group 1 packs 64 queries per item, group 4 sixteen; 150 queries
            // after 30 cached positions cross several 64- and 96-key tiles. After 500 positions (without a window) the
            // 256-bit kernel's items take 256 rows, fewer where the threads need more items: the blocking then differs
            // between one, two and three threads, and the results must not. The scalar and V128 paths walk 32-position
            // tiles at any length, so they take the shorter case only (the longer took most of the kernel tests' time on
            // Arm64 under emulation, .ci/arm64-tests).
            var data = new TheoryData<IsaPath, int, int, int>();
            foreach (var path in IsaPaths.Paths)
                foreach (int group in new[] { 1, 4 })
                    foreach (int window in new[] { 0, 100 })
                        foreach (int firstPosition in path >= IsaPath.Avx2 ? new[] { 30, 500 } : [30])
                            data.Add(path, group, window, firstPosition);
            return data;
        }
    }

    [Theory, MemberData(nameof(LongPrefillCases))]
    public void Long_prefill_matches_the_reference_for_any_thread_count(IsaPath path, int group, int window, int firstPosition)
    {
        const int kvHeads = 2, headDim = 80, queryCount = 150;
        int heads = kvHeads * group, positions = firstPosition + queryCount;
        var q = RandomData.Uniform(queryCount * heads * headDim, 19, -2f, 2f);
        var k = ToHalf(RandomData.Uniform(positions * kvHeads * headDim, 20, -2f, 2f));
        var v = ToHalf(RandomData.Uniform(positions * kvHeads * headDim, 21));
        (int, int) Span(int i)
        {
            int end = firstPosition + i + 1;
            return (window > 0 ? Math.Max(0, end - window) : 0, end);
        }
        var kf = AsFloats(k);
        var vf = AsFloats(v);
        var expected = AttentionReference.Compute(q, queryCount, kf, vf, heads, kvHeads, headDim, Span);
        ThreadCounts.AssertCloseAndIdentical(q.Length, expected, expected, "prefill",
            (pool, output) => KernelAttention.Prefill(q, queryCount, firstPosition, kf, vf, heads, kvHeads, headDim, output, pool, window, path),
            (pool, output) => KernelAttention.Prefill(q, queryCount, firstPosition, k, v, heads, kvHeads, headDim, output, pool, window, path));
    }

    [Fact]
    public void Prefill_of_one_query_is_decode()
    {
        const int heads = 4, kvHeads = 2, headDim = 32, positions = 100;
        var q = RandomData.Uniform(heads * headDim, 10);
        var k = RandomData.Uniform(positions * kvHeads * headDim, 11);
        var v = RandomData.Uniform(positions * kvHeads * headDim, 12);
        var decoded = new float[q.Length];
        var prefilled = new float[q.Length];
        KernelAttention.Decode(q, k, v, 0, positions, heads, kvHeads, headDim, decoded, ComputePool.SingleThreaded);
        KernelAttention.Prefill(q, 1, positions - 1, k, v, heads, kvHeads, headDim, prefilled, ComputePool.SingleThreaded);
        Assert.Equal(decoded, prefilled);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void Results_are_identical_for_one_two_and_three_threads(int group)
    {
        // 36-wide heads take the per-query kernel; 64-wide ones the tiled one (on AVX2 and AVX-512), whose items the
        // threads claim as they go, with 70 queries in several blocks of unequal causal length.
        AssertIdenticalForOneTwoAndThreeThreads(group, headDim: 36, queryCount: 13);
        AssertIdenticalForOneTwoAndThreeThreads(group, headDim: 64, queryCount: 70);
    }

    private static void AssertIdenticalForOneTwoAndThreeThreads(int group, int headDim, int queryCount)
    {
        const int kvHeads = 3, firstPosition = 50;
        int heads = kvHeads * group, positions = firstPosition + queryCount;
        var q = RandomData.Uniform(queryCount * heads * headDim, 13);
        var k = RandomData.Uniform(positions * kvHeads * headDim, 14);
        var v = RandomData.Uniform(positions * kvHeads * headDim, 15);
        float[]? reference = null, referenceDecode = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var pool = new ComputePool(threads);
            var output = new float[q.Length];
            KernelAttention.Prefill(q, queryCount, firstPosition, k, v, heads, kvHeads, headDim, output, pool);
            var decode = new float[heads * headDim];
            KernelAttention.Decode(q.AsSpan(0, heads * headDim), k, v, 0, positions, heads, kvHeads, headDim, decode, pool);
            reference ??= output;
            referenceDecode ??= decode;
            Assert.Equal(reference, output);
            Assert.Equal(referenceDecode, decode);
        }
    }

    [Fact]
    public void Rejects_bad_shapes()
    {
        var pool = ComputePool.SingleThreaded;
        var q = new float[8];
        var kv = new float[4 * 8];
        Assert.Throws<ArgumentException>(() => KernelAttention.Decode(q, kv, kv, 0, 4, 3, 2, 4, new float[8], pool));
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelAttention.Decode(q, kv, kv, 0, 5, 2, 2, 4, new float[8], pool));
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelAttention.Decode(q, kv, kv, 2, 2, 2, 2, 4, new float[8], pool));
        Assert.Throws<ArgumentException>(() => KernelAttention.Decode(q, kv, kv, 0, 4, 2, 2, 4, new float[7], pool));
        Assert.Throws<ArgumentException>(() => KernelAttention.Decode(q, kv, kv, 0, 4, 2, 2, 4, q, pool));
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelAttention.Prefill(new float[16], 2, 3, kv, kv, 2, 2, 4, new float[16], pool));
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelAttention.Prefill(q, 1, 0, kv, kv, 2, 2, 4, new float[8], pool, -1));
    }
}
