using FastInfer.Kernels.Memory;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Benchmarking;

/// <summary>This machine's measured ceilings, against which kernel throughput is judged.</summary>
/// <param name="ReadBandwidthOneThread">GB/s streaming a 1 GiB buffer on one thread.</param>
/// <param name="ReadBandwidthAllThreads">GB/s streaming it with every pool thread.</param>
/// <param name="Fp32FmaGflopsPerThread">GFLOP/s of independent Vector512 FMA chains on one thread (0 without AVX-512).</param>
/// <param name="Int8VnniGopsPerThread">GOP/s (multiply and add each count) of 256-bit vpdpbusd chains (0 without AVX-VNNI).</param>
/// <param name="Int8Avx512BwGopsPerThread">GOP/s of 512-bit vpmaddubsw + vpmaddwd + vpaddd chains (0 without AVX-512BW).</param>
/// <param name="Int8VnniGopsAllThreads">GOP/s of the vpdpbusd chains on every pool thread at once (0 without AVX-VNNI):
/// the ceiling of the int8 matrix-matrix kernels, which run vpdpbusd.</param>
public sealed record MachineLimits(
    int Threads,
    double ReadBandwidthOneThread,
    double ReadBandwidthAllThreads,
    double Fp32FmaGflopsPerThread,
    double Fp32FmaGflopsAllThreads,
    double Int8VnniGopsPerThread,
    double Int8Avx512BwGopsPerThread,
    double Int8VnniGopsAllThreads = 0)
{
    /// <summary>Bytes of the buffer the read bandwidth streams.</summary>
    public const long BufferBytes = 1L << 30;

    /// <summary>
    /// Compute peaks that came out lower on every thread than on one: on a machine whose threads are cores of their own
    /// that happens only when something else took a core while the peak was timed (a host taking a virtual CPU), and
    /// then every ratio judged against that peak is meaningless. Empty when the limits are consistent.
    /// </summary>
    public IReadOnlyList<string> Inconsistencies()
    {
        var found = new List<string>();
        if (Threads < 2)
            return found;
        if (Fp32FmaGflopsAllThreads < Fp32FmaGflopsPerThread)
            found.Add($"FP32 FMA peak on {Threads} threads ({Fp32FmaGflopsAllThreads:F1} GFLOP/s) is below one thread's ({Fp32FmaGflopsPerThread:F1}): "
                + "the measurement was disturbed, so the fma-all ratios of this run are not meaningful; run again");
        if (Int8VnniGopsAllThreads > 0 && Int8VnniGopsAllThreads < Int8VnniGopsPerThread)
            found.Add($"int8 vpdpbusd peak on {Threads} threads ({Int8VnniGopsAllThreads:F1} GOP/s) is below one thread's ({Int8VnniGopsPerThread:F1}): "
                + "the measurement was disturbed, so the int8-all ratios of this run are not meaningful; run again");
        return found;
    }

    public static unsafe MachineLimits Measure(ComputePool pool, double secondsPerMeasurement)
        => WithBuffer(buffer => Measure(pool, secondsPerMeasurement, (byte*)buffer));

    /// <summary>GB/s of every pool thread reading a fresh <see cref="BufferBytes"/> buffer together: the shared DRAM limit.</summary>
    public static unsafe double MeasureReadBandwidth(ComputePool pool, double secondsPerMeasurement)
        => WithBuffer(buffer => MeasureReadBandwidth(pool, secondsPerMeasurement, (byte*)buffer));

    private static unsafe T WithBuffer<T>(Func<nint, T> measure)
    {
        byte* buffer = AllocateBuffer();
        try
        {
            return measure((nint)buffer);
        }
        finally
        {
            HugePageMemory.Free(buffer);
        }
    }

    /// <summary>The faster of the two read patterns (<see cref="ReadPattern"/>), timed alternately.</summary>
    private static unsafe double MeasureReadBandwidth(ComputePool pool, double secondsPerMeasurement, byte* buffer)
    {
        var eight = new ReadPass(buffer, BufferBytes, pool.ThreadCount, ReadPattern.EightStreamChunks);
        var two = new ReadPass(buffer, BufferBytes, pool.ThreadCount, ReadPattern.TwoStreamShares);
        var (a, b) = CallTimer.BestOfAlternating(() => eight.Run(pool), () => two.Run(pool), secondsPerMeasurement);
        return BufferBytes / 1e9 / Math.Min(a, b);
    }

    /// <summary><see cref="BufferBytes"/> of memory on huge pages where the OS grants them, as the engine's streamed weights
    /// are (<see cref="HugePageMemory"/>), every page touched so that timings read memory, not page faults. Free with
    /// <see cref="HugePageMemory.Free"/>.</summary>
    public static unsafe byte* AllocateBuffer()
    {
        byte* buffer = HugePageMemory.Allocate(BufferBytes);
        for (long offset = 0; offset < BufferBytes; offset += int.MaxValue / 2)
            new Span<byte>(buffer + offset, (int)Math.Min(BufferBytes - offset, int.MaxValue / 2)).Fill(1);
        return buffer;
    }

    /// <summary>Measures with <paramref name="buffer"/> from <see cref="AllocateBuffer"/> (its contents are kept).</summary>
    public static unsafe MachineLimits Measure(ComputePool pool, double secondsPerMeasurement, byte* buffer)
    {
        long words = BufferBytes / sizeof(int);
        var (eightStreams, twoStreams) = CallTimer.BestOfAlternating(
            () => s_sink += ReadPass.SumStreams((int*)buffer, 0, words), () => s_sink += ReadPass.SumTwoStreams((int*)buffer, 0, words), secondsPerMeasurement);
        double one = BufferBytes / 1e9 / Math.Min(eightStreams, twoStreams);
        double all = MeasureReadBandwidth(pool, secondsPerMeasurement, buffer);

        double fma = 0, fmaAll = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            const int iterations = 1 << 20;
            fma = FmaChainFlops(iterations) / 1e9 / CallTimer.SecondsPerCall(() => s_sink += FmaChains(iterations, 1f), secondsPerMeasurement);
            var fmaJob = new FmaJob { Iterations = iterations };
            fmaAll = FmaChainFlops(iterations) * pool.ThreadCount / 1e9
                / CallTimer.SecondsPerCall(() => pool.For(pool.ThreadCount, ref fmaJob), secondsPerMeasurement);
        }
        double vnni = AvxVnni.IsSupported
            ? Int8Peaks.VnniOps(1 << 20) / 1e9 / CallTimer.SecondsPerCall(() => s_sink += Int8Peaks.VnniChains(1 << 20), secondsPerMeasurement)
            : 0;
        double vnniAll = 0;
        if (AvxVnni.IsSupported)
        {
            var vnniJob = new VnniJob { Iterations = 1 << 20 };
            vnniAll = Int8Peaks.VnniOps(1 << 20) * pool.ThreadCount / 1e9
                / CallTimer.SecondsPerCall(() => pool.For(pool.ThreadCount, ref vnniJob), secondsPerMeasurement);
        }
        double bw = Avx512BW.IsSupported
            ? Int8Peaks.Avx512BwOps(1 << 20) / 1e9 / CallTimer.SecondsPerCall(() => s_sink += Int8Peaks.Avx512BwChains(1 << 20), secondsPerMeasurement)
            : 0;
        return new MachineLimits(pool.ThreadCount, one, all, fma, fmaAll, vnni, bw, vnniAll);
    }

    // The probes' results are summed here so the JIT cannot prove them unused and remove the work being timed.
    private static float s_sink;

    private struct FmaJob : IRowJob
    {
        public int Iterations;

        public readonly void Execute(int start, int end)
        {
            float sum = 0;
            for (int i = start; i < end; i++)
                sum += FmaChains(Iterations, 1f);
            s_sink += sum; // a benign race between threads: only the dependency matters
        }
    }

    private struct VnniJob : IRowJob
    {
        public int Iterations;

        public readonly void Execute(int start, int end)
        {
            int sum = 0;
            for (int i = start; i < end; i++)
                sum += Int8Peaks.VnniChains(Iterations);
            s_sink += sum;
        }
    }

    private static double FmaChainFlops(int iterations) => (double)iterations * 12 * 16 * 2;

    /// <summary>Twelve independent FMA chains: enough to cover a 4-cycle latency at two FMAs per cycle.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float FmaChains(int iterations, float seed)
    {
        var m = Vector512.Create(0.999999f);
        var c = Vector512.Create(1e-7f);
        var x0 = Vector512.Create(seed);
        var x1 = x0 + c; var x2 = x1 + c; var x3 = x2 + c; var x4 = x3 + c; var x5 = x4 + c;
        var x6 = x5 + c; var x7 = x6 + c; var x8 = x7 + c; var x9 = x8 + c; var x10 = x9 + c; var x11 = x10 + c;
        for (int i = 0; i < iterations; i++)
        {
            x0 = Vector512.FusedMultiplyAdd(x0, m, c); x1 = Vector512.FusedMultiplyAdd(x1, m, c);
            x2 = Vector512.FusedMultiplyAdd(x2, m, c); x3 = Vector512.FusedMultiplyAdd(x3, m, c);
            x4 = Vector512.FusedMultiplyAdd(x4, m, c); x5 = Vector512.FusedMultiplyAdd(x5, m, c);
            x6 = Vector512.FusedMultiplyAdd(x6, m, c); x7 = Vector512.FusedMultiplyAdd(x7, m, c);
            x8 = Vector512.FusedMultiplyAdd(x8, m, c); x9 = Vector512.FusedMultiplyAdd(x9, m, c);
            x10 = Vector512.FusedMultiplyAdd(x10, m, c); x11 = Vector512.FusedMultiplyAdd(x11, m, c);
        }
        return Vector512.Sum(x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10 + x11);
    }
}
