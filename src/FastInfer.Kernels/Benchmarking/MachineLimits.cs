using FastInfer.Kernels.Memory;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Benchmarking;

/// <summary>This machine's measured ceilings, against which kernel throughput is judged.</summary>
/// <param name="ReadBandwidthOneThread">GB/s streaming a 1 GiB buffer on one thread.</param>
/// <param name="ReadBandwidthAllThreads">GB/s streaming it with every pool thread.</param>
/// <param name="Fp32FmaVectorBits">the vector width of the FP32 chains: the kernel path's (512 on Avx512, 256 on Avx2, 128 on
/// V128); 0 on the scalar path, where no FP32 peak is measured.</param>
/// <param name="Fp32FmaFused">whether the FP32 chains ran a fused multiply-add (false only on a V128 path without one, where
/// they multiply, then add).</param>
/// <param name="Fp32FmaGflopsPerThread">GFLOP/s of twelve independent FP32 multiply-add chains of <paramref name="Fp32FmaVectorBits"/>
/// on one thread (0 on the scalar path).</param>
/// <param name="Fp32FmaGflopsAllThreads">GFLOP/s of those chains on every pool thread at once: the ceiling of the float
/// matrix-matrix and attention prefill kernels.</param>
/// <param name="Int8VnniGopsPerThread">GOP/s (multiply and add each count) of 256-bit vpdpbusd chains (0 without AVX-VNNI).</param>
/// <param name="Int8VnniGopsAllThreads">GOP/s of the vpdpbusd chains on every pool thread at once (0 without AVX-VNNI):
/// the ceiling of the int8 matrix-matrix kernels where they run vpdpbusd (<see cref="Int8Ceiling"/>).</param>
/// <param name="Int8Avx2GopsPerThread">GOP/s of 256-bit vpmaddubsw + vpaddw chains (0 without AVX2).</param>
/// <param name="Int8Avx2GopsAllThreads">GOP/s of those chains on every pool thread at once (0 without AVX2): the ceiling of
/// the int8 matrix-matrix kernels where they run vpmaddubsw instead.</param>
/// <param name="Int8Avx512BwGopsPerThread">GOP/s of 512-bit vpmaddubsw + vpaddw chains (0 without AVX-512BW).</param>
/// <param name="Int8Avx512BwGopsAllThreads">GOP/s of those chains on every pool thread at once (0 without AVX-512BW): with
/// the 256-bit ones, the ceiling of the AVX-512 path's int8 matrix-matrix kernels where they run vpmaddubsw.</param>
public sealed record MachineLimits(
    int Threads,
    double ReadBandwidthOneThread,
    double ReadBandwidthAllThreads,
    int Fp32FmaVectorBits,
    bool Fp32FmaFused,
    double Fp32FmaGflopsPerThread,
    double Fp32FmaGflopsAllThreads,
    double Int8VnniGopsPerThread,
    double Int8VnniGopsAllThreads,
    double Int8Avx2GopsPerThread,
    double Int8Avx2GopsAllThreads,
    double Int8Avx512BwGopsPerThread,
    double Int8Avx512BwGopsAllThreads)
{
    /// <summary>Bytes of the buffer the read bandwidth streams.</summary>
    public const long BufferBytes = 1L << 30;

    /// <summary>
    /// The all-threads int8 peak of the instruction the integer matrix-matrix kernels run on <paramref name="path"/>, and that
    /// instruction's name: vpdpbusd where <see cref="RowDot.UsesVnni"/> (the AVX-512 and AVX2 paths of a CPU with AVX-VNNI);
    /// otherwise vpmaddubsw: on the AVX2 path the 256-bit chains', on the AVX-512 path the faster of the 256-bit and 512-bit
    /// chains' (its prefill kernels run 512-bit vpmaddubsw since session 26, a lone group or the unpacked rows 256-bit).
    /// None ("", 0) on the V128 and scalar paths, whose kernels no peak here times.
    /// </summary>
    public (string Instruction, double GopsAllThreads) Int8Ceiling(IsaPath path) => Int8Ceiling(path, RowDot.UsesVnni(path));

    /// <summary><see cref="Int8Ceiling(IsaPath)"/> for kernels that run vpdpbusd or not as <paramref name="vnni"/> says.</summary>
    internal (string Instruction, double GopsAllThreads) Int8Ceiling(IsaPath path, bool vnni)
        => vnni ? ("vpdpbusd", Int8VnniGopsAllThreads)
            : path >= IsaPath.Avx512 ? ("maddubs", Math.Max(Int8Avx2GopsAllThreads, Int8Avx512BwGopsAllThreads))
            : path >= IsaPath.Avx2 ? ("maddubs", Int8Avx2GopsAllThreads)
            : ("", 0);

    /// <summary>
    /// Compute peaks whose all-threads figure is below one thread's plus half a thread's for each further thread, or above
    /// the thread count times one thread's (with
    /// <see cref="ScalingSlack"/>): on a machine whose threads are cores of their own either happens only when something
    /// else took a core while one of the two was timed (a host taking a virtual CPU), and then every ratio judged against
    /// that peak is meaningless. Empty when the limits are consistent.
    /// </summary>
    public IReadOnlyList<string> Inconsistencies()
    {
        var found = new List<string>();
        if (Threads < 2)
            return found;
        Check(found, "FP32 FMA", "GFLOP/s", "fma-all", Fp32FmaGflopsAllThreads, Fp32FmaGflopsPerThread);
        Check(found, "int8 vpdpbusd", "GOP/s", "int8-all (vpdpbusd)", Int8VnniGopsAllThreads, Int8VnniGopsPerThread);
        Check(found, "int8 maddubs", "GOP/s", "int8-all (maddubs)", Int8Avx2GopsAllThreads, Int8Avx2GopsPerThread);
        Check(found, "int8 maddubs (512-bit)", "GOP/s", "int8-all (maddubs)", Int8Avx512BwGopsAllThreads, Int8Avx512BwGopsPerThread);
        return found;
    }

    /// <summary>How far above threads × one thread's figure an all-threads peak may come out before it counts as disturbed
    /// (turbo clocks make one core alone faster, never slower, so this only absorbs timing noise).</summary>
    public const double ScalingSlack = 1.15;

    private void Check(List<string> found, string peak, string unit, string ratios, double allThreads, double oneThread)
    {
        if (allThreads <= 0 || oneThread <= 0)
            return;
        // Register-only chains scale with the cores; each thread past the first must add at least half a thread's figure
        // (one core alone runs at a higher turbo clock, so the scaling is below the thread count even undisturbed).
        double least = oneThread * (1 + (Threads - 1) / 2.0);
        if (allThreads < least)
            found.Add($"{peak} peak on {Threads} threads ({allThreads:F1} {unit}) is below {least / oneThread:F1} times one thread's ({oneThread:F1}): "
                + $"the measurement was disturbed, so the {ratios} ratios of this run are not meaningful; run again");
        else if (allThreads > Threads * oneThread * ScalingSlack)
            found.Add($"{peak} peak on {Threads} threads ({allThreads:F1} {unit}) is more than {Threads} times one thread's ({oneThread:F1}): "
                + $"one of them was disturbed, so the {ratios} ratios of this run are not meaningful; run again");
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

    /// <summary>Measures with <paramref name="buffer"/> from <see cref="AllocateBuffer"/> (its contents are kept), the FP32 peak at
    /// the width of <see cref="KernelIsa.Active"/>.</summary>
    public static unsafe MachineLimits Measure(ComputePool pool, double secondsPerMeasurement, byte* buffer)
        => Measure(pool, secondsPerMeasurement, buffer, KernelIsa.Active);

    /// <summary>Measures with <paramref name="buffer"/>, the FP32 peak at the vector width of <paramref name="path"/>.</summary>
    public static unsafe MachineLimits Measure(ComputePool pool, double secondsPerMeasurement, byte* buffer, IsaPath path)
    {
        if (path > KernelIsa.Hardware)
            throw new ArgumentException($"kernel path {path} is above what this CPU runs ({KernelIsa.Hardware})", nameof(path));
        long words = BufferBytes / sizeof(int);
        var (eightStreams, twoStreams) = CallTimer.BestOfAlternating(
            () => s_sink += ReadPass.SumStreams((int*)buffer, 0, words), () => s_sink += ReadPass.SumTwoStreams((int*)buffer, 0, words), secondsPerMeasurement);
        double one = BufferBytes / 1e9 / Math.Min(eightStreams, twoStreams);
        double all = MeasureReadBandwidth(pool, secondsPerMeasurement, buffer);
        return FirstConsistent(() => MeasurePeaks(pool, secondsPerMeasurement, path, one, all), PeakAttempts);
    }

    /// <summary>
    /// How many times the compute peaks are measured at most: again while a measurement comes out disturbed
    /// (<see cref="Inconsistencies"/>), as about a third of the runs on this project's shared Zen 3 host did, since every
    /// ratio judged against a disturbed peak is meaningless. A few seconds at most; the read bandwidth is not re-measured.
    /// </summary>
    public const int PeakAttempts = 3;

    /// <summary>The first of up to <paramref name="attempts"/> calls of <paramref name="measure"/> whose limits are consistent,
    /// or the last call's when none is (its <see cref="Inconsistencies"/> then say so).</summary>
    internal static MachineLimits FirstConsistent(Func<MachineLimits> measure, int attempts)
    {
        var limits = measure();
        for (int attempt = 1; attempt < attempts && limits.Inconsistencies().Count > 0; attempt++)
            limits = measure();
        return limits;
    }

    private static MachineLimits MeasurePeaks(ComputePool pool, double secondsPerMeasurement, IsaPath path, double one, double all)
    {
        var (bits, fused) = FmaPeaks.Width(path);
        var (fma, fmaAll) = path switch
        {
            IsaPath.Avx512 => PeakChains.Both<FmaPeak<Fma512, Vector512<float>>>(pool, secondsPerMeasurement),
            IsaPath.Avx2 => PeakChains.Both<FmaPeak<Fma256, Vector256<float>>>(pool, secondsPerMeasurement),
            IsaPath.V128 when fused => PeakChains.Both<FmaPeak<Fma128, Vector128<float>>>(pool, secondsPerMeasurement),
            IsaPath.V128 => PeakChains.Both<FmaPeak<MulAdd128, Vector128<float>>>(pool, secondsPerMeasurement),
            _ => (0, 0),
        };
        var (vnni, vnniAll) = AvxVnni.IsSupported ? PeakChains.Both<Int8Peaks.Vnni>(pool, secondsPerMeasurement) : (0, 0);
        var (maddubs, maddubsAll) = Avx2.IsSupported
            ? PeakChains.Both<Int8Peaks.Maddubs<Maddubs256, Vector256<short>>>(pool, secondsPerMeasurement) : (0, 0);
        var (bw, bwAll) = Avx512BW.IsSupported
            ? PeakChains.Both<Int8Peaks.Maddubs<Maddubs512, Vector512<short>>>(pool, secondsPerMeasurement) : (0, 0);
        return new MachineLimits(pool.ThreadCount, one, all, bits, fused, fma, fmaAll, vnni, vnniAll, maddubs, maddubsAll, bw, bwAll);
    }

    // The read passes' sums are added here so the JIT cannot prove them unused and remove the work being timed.
    private static float s_sink;
}
