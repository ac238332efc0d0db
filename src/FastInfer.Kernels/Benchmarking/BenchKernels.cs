using FastInfer.Kernels.Memory;
using System.Diagnostics;
using System.Runtime.InteropServices;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops.QuantGemm;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Benchmarking;

/// <summary>
/// The quick kernel runner behind <c>fastinfer bench-kernels</c>: measures the machine's limits, then each
/// decode-path kernel at Llama-7B sizes, and relates every throughput to the limit that bounds it.
/// </summary>
public static class BenchKernels
{
    private const int ModelWidth = 4096, FfnWidth = 11008, Vocabulary = 32000;
    private const int Heads = 32, KvHeads = 8, HeadDim = 128, ContextLength = 4096, PrefillTokens = 256;
    private const int MatMulTokens = 512, FloatMatMulTokens = 128; // F32 at 512 tokens would take a second a call

    /// <summary>The weight types measured, each in decode as a 4096×11008 matrix and in prefill as a 4096×4096 one.</summary>
    public static readonly GgmlType[] MatVecTypes =
        [GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K];

    /// <summary>
    /// The decode types also measured from cache (<see cref="MatVecFromCacheRow"/>): the four that issue 3 sets a target
    /// for, and the other K-quants of the Q2_K–Q6_K mixes, whose AVX2 dot products are the most instructions per byte (so
    /// their rows show first when a kernel's own work, not DRAM, sets its speed, or when the JIT left its helpers as calls).
    /// </summary>
    public static readonly GgmlType[] FromCacheTypes =
        [GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K];

    /// <param name="progress">told the name of each step as it starts (for a status line).</param>
    public static unsafe BenchKernelsReport Run(int threads, double secondsPerMeasurement, Action<string>? progress = null)
    {
        if (threads < 1)
            throw new ArgumentOutOfRangeException(nameof(threads), $"thread count {threads} must be at least 1");
        if (!(secondsPerMeasurement > 0) || secondsPerMeasurement > 60)
            throw new ArgumentOutOfRangeException(nameof(secondsPerMeasurement), $"{secondsPerMeasurement} s per measurement is outside (0, 60]");
        long start = Stopwatch.GetTimestamp();
        using var pool = new ComputePool(threads);
        progress?.Invoke("machine limits (1 GiB read, FMA and int8 peaks)");
        byte* arena = MachineLimits.AllocateBuffer();
        try
        {
            var limits = MachineLimits.Measure(pool, secondsPerMeasurement, arena);
            var context = new Context(limits, pool, secondsPerMeasurement, [], CacheSizes.LastLevelBytes(), (nint)arena);
            return RunKernels(context, progress, start);
        }
        finally
        {
            HugePageMemory.Free(arena);
        }
    }

    private static BenchKernelsReport RunKernels(Context context, Action<string>? progress, long start)
    {
        var pool = context.Pool;
        int threads = pool.ThreadCount;
        double secondsPerMeasurement = context.Seconds;

        foreach (var type in MatVecTypes)
        {
            progress?.Invoke($"matvec {type}");
            MatVecRow(context, type);
        }
        foreach (var type in FromCacheTypes)
        {
            progress?.Invoke($"matvec {type} from cache");
            MatVecFromCacheRow(context, type);
        }
        foreach (var type in MatVecTypes)
        {
            progress?.Invoke($"matmul {type}");
            MatMulRow(context, type, GgmlTypeTraits.IsFloat(type) ? FloatMatMulTokens : MatMulTokens);
        }
        progress?.Invoke("packed Q4_K prefill setup");
        PackedQ4_KPrefillSetupRows(context);
        progress?.Invoke("elementwise");
        ElementwiseRows(context);
        progress?.Invoke("attention");
        AttentionRows(context);
        progress?.Invoke("pool overhead");
        var empty = new EmptyJob();
        double forSeconds = CallTimer.SecondsPerCall(() => pool.For(threads, ref empty), secondsPerMeasurement);
        context.Results.Add(new KernelResult("pool.For (empty)", $"{threads} shares", threads, forSeconds * 1e6, null, null, "", null));
        return new BenchKernelsReport(KernelIsa.Active.ToString(), context.Limits, context.Results, Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    /// <param name="CacheBytes">the last-level cache size, which the matrix-vector rows' rotating copies exceed.</param>
    /// <param name="Arena">the touched 1 GiB bandwidth buffer, reused for the matrix-vector rows' copies.</param>
    private sealed record Context(MachineLimits Limits, ComputePool Pool, double Seconds, List<KernelResult> Results, long CacheBytes, nint Arena)
    {
        /// <param name="sameMemoryGbps">a read pass's GB/s over the kernel's own buffers, timed alternately with it; the
        /// limit is the larger of this and the 1 GiB figure, so drift between the two measurements cannot inflate the ratio.</param>
        public void AddBandwidthBound(string name, string shape, int threads, double seconds, double bytes, double sameMemoryGbps = 0)
        {
            double gbps = bytes / seconds / 1e9;
            bool all = threads > 1;
            double limit = Math.Max(all ? Limits.ReadBandwidthAllThreads : Limits.ReadBandwidthOneThread, sameMemoryGbps);
            Results.Add(new KernelResult(name, shape, threads, seconds * 1e6, gbps, null, all ? "read-bw-all" : "read-bw-1t", gbps / limit, limit));
        }

        /// <summary>A kernel that reads <paramref name="bytes"/> and does <paramref name="flops"/> FP32 flops: its limit is the lower
        /// of the read bandwidth (as in <see cref="AddBandwidthBound"/>) and the FMA peak × bytes per flop.</summary>
        public void AddRooflineBound(string name, string shape, double seconds, double bytes, double flops, double sameMemoryGbps)
        {
            double gbps = bytes / seconds / 1e9;
            var (limit, memory) = Roofline(Math.Max(Limits.ReadBandwidthAllThreads, sameMemoryGbps), Limits.Fp32FmaGflopsAllThreads, bytes / flops);
            Results.Add(new KernelResult(name, shape, Pool.ThreadCount, seconds * 1e6, gbps, flops / seconds / 1e9,
                memory ? "read-bw-all" : "fma-all×B/flop", gbps / limit, limit));
        }

        public void AddComputeBound(string name, string shape, double seconds, double operations, bool integer)
            => Results.Add(ComputeBound(Limits, KernelIsa.Active, name, shape, Pool.ThreadCount, seconds, operations, integer));
    }

    /// <summary>
    /// A compute-bound kernel's row: judged against the FP32 peak ("fma-all"), or an integer kernel against the int8 peak of the
    /// instruction it runs on <paramref name="path"/> (<see cref="MachineLimits.Int8Ceiling"/>), which the limit names:
    /// "int8-all (vpdpbusd)" or "int8-all (maddubs)". No limit or ratio where that peak is unknown (0).
    /// </summary>
    internal static KernelResult ComputeBound(MachineLimits limits, IsaPath path, string name, string shape, int threads, double seconds,
        double operations, bool integer)
    {
        double rate = operations / seconds / 1e9;
        var (instruction, int8Peak) = limits.Int8Ceiling(path);
        var (limit, peak) = integer ? ($"int8-all ({instruction})", int8Peak) : ("fma-all", limits.Fp32FmaGflopsAllThreads);
        bool known = peak > 0;
        return new KernelResult(name, shape, threads, seconds * 1e6, null, rate, known ? limit : "", known ? rate / peak : null, known ? peak : null);
    }

    /// <summary>
    /// Decode: y = W·x on a 11008×4096 matrix, cycling through copies that together exceed the last-level cache
    /// (see <see cref="RotatingMatrices"/>), alternated call by call with a plain read pass over the same copies.
    /// </summary>
    private static unsafe void MatVecRow(Context context, GgmlType type)
    {
        long bytes = GgmlTypeTraits.RowBytes(type, ModelWidth) * FfnWidth;
        long stride = (bytes + 4095) & ~4095L;
        int copies = (int)Math.Min(RotatingMatrices.CopiesToExceed(context.CacheBytes, bytes), MachineLimits.BufferBytes / stride);
        using var matrices = new RotatingMatrices(type, FfnWidth, ModelWidth, copies, seed: 1, (byte*)context.Arena, MachineLimits.BufferBytes);
        var x = new float[ModelWidth];
        var y = new float[FfnWidth];
        var random = new Random(5);
        for (int i = 0; i < x.Length; i++)
            x[i] = random.NextSingle() * 2 - 1;
        var (kernel, read) = CallTimer.BestOfAlternating(
            () => MatVec.Multiply(matrices.Next(), x, y, context.Pool), () => matrices.ReadNext(context.Pool), context.Seconds);
        context.AddBandwidthBound($"matvec {type}{(matrices.IsPacked ? " (packed)" : "")}", $"{FfnWidth}x{ModelWidth} ×{matrices.Copies}", context.Pool.ThreadCount, kernel, bytes, bytes / read / 1e9);
    }

    /// <summary>
    /// Decode from cache: y = W·x on one matrix of 4096 columns and as many rows (a multiple of 16, at most 11008) as fill an
    /// eighth of the last-level cache, so that after the first call the kernel never waits on DRAM. (With a quarter, 8 MiB
    /// on the Zen 3, the Q4_0 and Q4_K rows came out well below their rate on a smaller matrix in some runs; with a
    /// sixteenth, each call's fixed part, quantizing the activations and waking the pool, weighed more.) The rate includes
    /// that fixed part, as decode does; set against the DRAM read of the machine-limits pass, it says how far the kernel
    /// could run ahead of memory: at 118% or less, decode from DRAM cannot reach 85% of that read even with every load
    /// overlapped.
    /// </summary>
    private static unsafe void MatVecFromCacheRow(Context context, GgmlType type)
    {
        long rowBytes = GgmlTypeTraits.RowBytes(type, ModelWidth);
        int rows = (int)Math.Clamp(context.CacheBytes / 8 / rowBytes / 16 * 16, 16, FfnWidth);
        using var matrices = new RotatingMatrices(type, rows, ModelWidth, copies: 1, seed: 3);
        var x = new float[ModelWidth];
        var y = new float[rows];
        var random = new Random(7);
        for (int i = 0; i < x.Length; i++)
            x[i] = random.NextSingle() * 2 - 1;
        var w = matrices[0];
        double seconds = CallTimer.SecondsPerCall(() => MatVec.Multiply(w, x, y, context.Pool), context.Seconds);
        double gbps = rows * rowBytes / seconds / 1e9;
        double limit = context.Limits.ReadBandwidthAllThreads;
        context.Results.Add(new KernelResult($"matvec {type}{(matrices.IsPacked ? " (packed)" : "")} from cache", $"{rows}x{ModelWidth}",
            context.Pool.ThreadCount, seconds * 1e6, gbps, null, "read-bw-all (DRAM)", gbps / limit, limit));
    }

    /// <summary>Prefill: Y = X·Wᵀ for <paramref name="tokens"/> tokens on a 4096×4096 matrix, judged against the FP32 peak (float
    /// weights) or the int8 peak (quantized weights, whose kernels multiply int8 activations).</summary>
    private static unsafe void MatMulRow(Context context, GgmlType type, int tokens)
    {
        using var matrices = new RotatingMatrices(type, ModelWidth, ModelWidth, copies: 1, seed: 2);
        var w = matrices[0];
        var x = new float[tokens * ModelWidth];
        var random = new Random(6);
        for (int i = 0; i < x.Length; i++)
            x[i] = random.NextSingle() * 2 - 1;
        var y = new float[tokens * ModelWidth];
        double seconds = CallTimer.SecondsPerCall(() => MatMul.Multiply(w, x, y, tokens, context.Pool), context.Seconds);
        context.AddComputeBound($"matmul {type}{(matrices.IsPacked ? " (packed)" : "")}", $"{tokens}x{ModelWidth}x{ModelWidth}", seconds, 2.0 * tokens * ModelWidth * ModelWidth,
            integer: !GgmlTypeTraits.IsFloat(type));
    }

    /// <summary>
    /// Before its tiles, K-quant prefill unpacks each group of eight rows of a packed matrix into its panel, once per 512
    /// tokens: whole groups straight from the packed copy (<see cref="PanelFromPacked"/>), a partial group or one a row slice
    /// starts inside by writing its rows back first (<see cref="PackedRows"/>) and packing those (<see cref="PanelPacker"/>),
    /// as every group did until session 16. Both timed over a Q4_K matrix on one thread, into the same panel; the matrix is
    /// read again each call, so it comes from the cache.
    /// </summary>
    private static unsafe void PackedQ4_KPrefillSetupRows(Context context)
    {
        const GgmlType type = GgmlType.Q4_K;
        if (!PackedWeights.IsReadOn(KernelIsa.Active, type) || !KQuantGemm.Supports(type, KernelIsa.Active))
            return;
        using var matrices = new RotatingMatrices(type, ModelWidth, ModelWidth, copies: 1, seed: 4);
        var w = matrices[0];
        int blocks = ModelWidth / 256, panelBlockBytes = PanelLayout.BlockBytes<ScaleMinPanel<BlockQ4_K>>();
        long panelBytes = (long)blocks * panelBlockBytes, rowsBytes = PackedLayout.GroupRows * w.RowBytes;
        var scratch = new byte[panelBytes + rowsBytes + PanelPacker.RowScratchBytes];
        var pinned = GCHandle.Alloc(scratch, GCHandleType.Pinned);
        try
        {
            nint panel = pinned.AddrOfPinnedObject(), rows = panel + (nint)panelBytes, rowScratch = rows + (nint)rowsBytes;
            long rowBytes = w.RowBytes;
            double seconds = CallTimer.SecondsPerCall(() =>
            {
                for (int first = 0; first < w.Rows; first += PackedLayout.GroupRows)
                {
                    PackedRows.Read(w, first, PackedLayout.GroupRows, (byte*)rows);
                    PanelPacker.Pack<ScaleMinPanel<BlockQ4_K>>((byte*)rows, rowBytes, PackedLayout.GroupRows, blocks, (byte*)panel, panelBlockBytes, (byte*)rowScratch);
                }
            }, context.Seconds);
            context.AddBandwidthBound($"prefill panels via rows, packed {type}", $"{ModelWidth}x{ModelWidth}", 1, seconds, matrices.MatrixBytes);
            var view = w.Packed;
            seconds = CallTimer.SecondsPerCall(() =>
            {
                for (int group = 0; group < view.GroupCount(w.Rows); group++)
                    PanelFromPacked.Pack<ScaleMinPanel<BlockQ4_K>>((byte*)view.FirstGroup + group * view.GroupBytes, blocks, (byte*)panel, panelBlockBytes);
            }, context.Seconds);
            context.AddBandwidthBound($"prefill panels from packed {type}", $"{ModelWidth}x{ModelWidth}", 1, seconds, matrices.MatrixBytes);
        }
        finally
        {
            pinned.Free();
        }
    }

    private static void ElementwiseRows(Context context)
    {
        var random = new Random(2);
        float[] Fill(int n)
        {
            var a = new float[n];
            for (int i = 0; i < n; i++)
                a[i] = random.NextSingle() * 2 - 1;
            return a;
        }

        var x = Fill(ModelWidth);
        var w = Fill(ModelWidth);
        var y = new float[ModelWidth];
        double seconds = CallTimer.SecondsPerCall(() => Norms.RmsNorm(x, w, 1e-5f, y), context.Seconds);
        context.AddBandwidthBound("rmsnorm (cache-resident)", $"{ModelWidth}", 1, seconds, 3.0 * ModelWidth * sizeof(float));

        // A prefill-sized batch of rows does not fit the caches, so this one is bounded by memory.
        const int rows = 4096;
        var batch = Fill(rows * ModelWidth);
        seconds = CallTimer.SecondsPerCall(() =>
        {
            for (int r = 0; r < rows; r++)
            {
                var rowSpan = batch.AsSpan(r * ModelWidth, ModelWidth);
                Norms.RmsNorm(rowSpan, w, 1e-5f, rowSpan);
            }
        }, context.Seconds);
        context.AddBandwidthBound("rmsnorm (in place, streamed)", $"{rows}x{ModelWidth}", 1, seconds, 2.0 * rows * ModelWidth * sizeof(float));

        var logits = Fill(Vocabulary);
        var scratch = new float[Vocabulary];
        seconds = CallTimer.SecondsPerCall(() =>
        {
            logits.CopyTo(scratch, 0);
            VectorOps.Softmax(scratch);
        }, context.Seconds);
        context.AddBandwidthBound("softmax (with copy-in)", $"{Vocabulary}", 1, seconds, 5.0 * Vocabulary * sizeof(float));

        var gate = Fill(FfnWidth);
        var up = Fill(FfnWidth);
        seconds = CallTimer.SecondsPerCall(() => Activations.SiluMul(gate, up), context.Seconds);
        context.AddBandwidthBound("silu·mul (cache-resident)", $"{FfnWidth}", 1, seconds, 3.0 * FfnWidth * sizeof(float));

        var rope = new RopeTable(HeadDim, HeadDim, ContextLength, 10000f, RopeLayout.HalfSplit);
        var q = Fill(Heads * HeadDim);
        seconds = CallTimer.SecondsPerCall(() => rope.Apply(q, Heads, 1000), context.Seconds);
        context.AddBandwidthBound("rope half-split (cache-resident)", $"{Heads}x{HeadDim}", 1, seconds, 4.0 * Heads * HeadDim * sizeof(float));

        ActivationQuantizationRows(context, gate);

        var indices = new int[40];
        var values = new float[40];
        seconds = CallTimer.SecondsPerCall(() => VectorOps.TopK(logits, 40, indices, values), context.Seconds);
        context.AddBandwidthBound("top-40 (cache-resident)", $"{Vocabulary}", 1, seconds, 1.0 * Vocabulary * sizeof(float));
    }

    /// <summary>
    /// Each quantized matrix-vector product first quantizes its input row to 8 bits, and decode does that on one thread
    /// before every such call (the down projection's input is <see cref="FfnWidth"/> wide).
    /// </summary>
    private static unsafe void ActivationQuantizationRows(Context context, float[] row)
    {
        var pool = context.Pool;
        var pinned = GCHandle.Alloc(row, GCHandleType.Pinned);
        try
        {
            nint input = pinned.AddrOfPinnedObject();
            double seconds = CallTimer.SecondsPerCall(() => PackedActivations.Prepare((float*)input, 1, FfnWidth / 32, 8, withMinimumScales: false, pool), context.Seconds);
            context.AddBandwidthBound("quantize activations Q8_0 (packed)", $"{FfnWidth}", 1, seconds, 1.0 * FfnWidth * sizeof(float));
            seconds = CallTimer.SecondsPerCall(() => PackedKActivations.Prepare((float*)input, FfnWidth / 256), context.Seconds);
            context.AddBandwidthBound("quantize activations Q8_K (packed)", $"{FfnWidth}", 1, seconds, 1.0 * FfnWidth * sizeof(float));
        }
        finally
        {
            pinned.Free();
        }
    }

    private static void AttentionRows(Context context)
    {
        var random = new Random(3);
        int kvElements = ContextLength * KvHeads * HeadDim;
        var keys = new float[kvElements];
        var valuesF32 = new float[kvElements];
        for (int i = 0; i < kvElements; i++)
        {
            keys[i] = random.NextSingle() * 2 - 1;
            valuesF32[i] = random.NextSingle() * 2 - 1;
        }
        AttentionDecodeRow<float>(context, keys, valuesF32, random);
        AttentionDecodeRow<Half>(context, keys, valuesF32, random);

        // Causal prefill of the first PrefillTokens positions: compute-bound, so judged against the FMA peak.
        var queries = new float[PrefillTokens * Heads * HeadDim];
        for (int i = 0; i < queries.Length; i++)
            queries[i] = random.NextSingle() * 2 - 1;
        var prefillOutput = new float[queries.Length];
        double seconds = CallTimer.SecondsPerCall(
            () => Attention.Prefill(queries, PrefillTokens, 0, keys, valuesF32, Heads, KvHeads, HeadDim, prefillOutput, context.Pool), context.Seconds);
        double pairs = PrefillTokens * (PrefillTokens + 1) / 2.0;
        context.AddComputeBound("attention prefill F32 KV", $"{PrefillTokens} tokens, {Heads}h/{KvHeads}kv x{HeadDim}",
            seconds, 4.0 * Heads * HeadDim * pairs, integer: false);
    }

    /// <summary>
    /// Decode attention over a <see cref="ContextLength"/>-position cache of <typeparamref name="T"/> (float or Half): K and V
    /// of every KV head, cycled through copies that together exceed the last-level cache (as the matrix-vector rows do),
    /// each call alternated with a read pass over the same copy. Judged against its roofline: the read bandwidth, or the FMA
    /// peak divided by the kernel's flops per byte (4 per head, dimension and position) where that is lower: with four query
    /// heads per KV head, an F16 cache needs 4 flops per byte read.
    /// </summary>
    private static unsafe void AttentionDecodeRow<T>(Context context, float[] keys, float[] values, Random random) where T : unmanaged
    {
        long cacheBytes = (long)keys.Length * sizeof(T), copyBytes = 2 * cacheBytes;
        int copies = (int)Math.Min(RotatingMatrices.CopiesToExceed(context.CacheBytes, copyBytes), MachineLimits.BufferBytes / copyBytes);
        byte* arena = (byte*)context.Arena;
        var q = new float[Heads * HeadDim];
        for (int i = 0; i < q.Length; i++)
            q[i] = random.NextSingle() * 2 - 1;
        var output = new float[q.Length];
        for (int i = 0; i < keys.Length; i++)
            if (typeof(T) == typeof(Half))
            {
                ((Half*)arena)[i] = (Half)keys[i];
                ((Half*)(arena + cacheBytes))[i] = (Half)values[i];
            }
            else
            {
                ((float*)arena)[i] = keys[i];
                ((float*)(arena + cacheBytes))[i] = values[i];
            }
        for (int c = 1; c < copies; c++)
            Buffer.MemoryCopy(arena, arena + c * copyBytes, copyBytes, copyBytes);
        // One counter for both calls, as RotatingMatrices does: the read pass takes the copy after the kernel's, never the
        // one the kernel has just pulled into the cache.
        int next = 0, reads = 0;
        var pool = context.Pool;
        var (kernel, read) = CallTimer.BestOfAlternating(() =>
        {
            byte* k = arena + next * copyBytes, v = k + cacheBytes;
            next = (next + 1) % copies;
            if (typeof(T) == typeof(Half))
                Attention.Decode(q, new ReadOnlySpan<Half>(k, keys.Length), new ReadOnlySpan<Half>(v, keys.Length), 0, ContextLength, Heads, KvHeads, HeadDim, output, pool);
            else
                Attention.Decode(q, new ReadOnlySpan<float>(k, keys.Length), new ReadOnlySpan<float>(v, keys.Length), 0, ContextLength, Heads, KvHeads, HeadDim, output, pool);
        }, () =>
        {
            new ReadPass(arena + next * copyBytes, copyBytes, pool.ThreadCount, ReadPass.Alternate(reads++)).Run(pool);
            next = (next + 1) % copies;
        }, context.Seconds);
        context.AddRooflineBound($"attention decode {(typeof(T) == typeof(Half) ? "F16" : "F32")} KV", $"{Heads}h/{KvHeads}kv x{HeadDim} ctx {ContextLength} ×{copies}",
            kernel, copyBytes, 4.0 * Heads * HeadDim * ContextLength, copyBytes / read / 1e9);
    }

    /// <summary>
    /// The GB/s a kernel that does one flop per <paramref name="bytesPerFlop"/> bytes read can reach: the read bandwidth, or the
    /// FMA peak × bytes per flop where that is lower (an unknown peak, 0, leaves the bandwidth); and whether memory is the bound.
    /// </summary>
    internal static (double Gbps, bool MemoryBound) Roofline(double readGbps, double fmaGflops, double bytesPerFlop)
    {
        double flopBound = fmaGflops > 0 ? fmaGflops * bytesPerFlop : double.PositiveInfinity;
        return readGbps <= flopBound ? (readGbps, true) : (flopBound, false);
    }

    private struct EmptyJob : IRowJob
    {
        public readonly void Execute(int start, int end)
        {
        }
    }
}
