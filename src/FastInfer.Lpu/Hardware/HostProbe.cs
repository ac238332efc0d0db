using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastInfer.Lpu.Hardware;

/// <summary>What one core of this machine measured at start-up (all figures are per core).</summary>
public sealed record HostMeasurement(
    double CacheReadBytesPerSecond,
    double DramReadBytesPerSecond,
    double Fp32FlopsPerSecond,
    TimeSpan ProbeTime);

/// <summary>
/// Short single-core probes: a vectorized read over an L2-sized and over a DRAM-sized buffer, and an FMA chain.
/// They take a few hundred milliseconds, so the result is measured once per process and cached.
/// </summary>
public static class HostProbe
{
    private static readonly Lazy<HostMeasurement> Cached = new(() => Measure(CpuCacheTopology.Read()));

    public static HostMeasurement Current => Cached.Value;

    private static readonly TimeSpan ProbeBudget = TimeSpan.FromMilliseconds(40);

    public static HostMeasurement Measure(CpuCacheTopology caches)
    {
        var total = Stopwatch.StartNew();
        // Half of L2 stays resident while leaving room for the stack and the code.
        int cacheFloats = (int)Math.Clamp(caches.L2Bytes / Math.Max(1, caches.L2Sharers) / 2 / sizeof(float), 4096, 1 << 22);
        // Four times L3 cannot be cache-resident; 64 MiB minimum, 128 MiB at most to bound the allocation.
        long dramBytes = Math.Clamp(caches.L3Bytes * 4, 64L << 20, 128L << 20);
        double cache = ReadBandwidth(cacheFloats);
        double dram = ReadBandwidth((int)(dramBytes / sizeof(float)));
        double flops = FmaRate();
        return new HostMeasurement(cache, dram, flops, total.Elapsed);
    }

    private static double ReadBandwidth(int floats)
    {
        var buffer = GC.AllocateUninitializedArray<float>(floats);
        buffer.AsSpan().Fill(1f); // touch every page so the probe measures reads, not page faults
        float sink = Sum(buffer); // warm-up pass loads the cache and JIT-compiles the loop
        double rate = ProbeTimer.BestRate(() =>
        {
            sink += Sum(buffer);
            return (double)floats * sizeof(float);
        }, ProbeBudget);
        GC.KeepAlive(sink);
        return rate;
    }

    private static float Sum(float[] data) =>
        Vector512.IsHardwareAccelerated ? Sum<Probe512>(data)
        : Vector256.IsHardwareAccelerated ? Sum<Probe256>(data)
        : Sum<Probe1>(data);

    /// <summary>Four independent accumulators so that the adds never wait for each other; loads are the limit.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Sum<TVector>(float[] data) where TVector : struct, IProbeVector<TVector>
    {
        ref float start = ref MemoryMarshal.GetArrayDataReference(data);
        int lanes = TVector.Lanes, i = 0;
        TVector a = TVector.Splat(0), b = a, c = a, d = a;
        for (; i <= data.Length - 4 * lanes; i += 4 * lanes)
        {
            a = TVector.Add(a, TVector.Load(ref start, i));
            b = TVector.Add(b, TVector.Load(ref start, i + lanes));
            c = TVector.Add(c, TVector.Load(ref start, i + 2 * lanes));
            d = TVector.Add(d, TVector.Load(ref start, i + 3 * lanes));
        }
        float s = TVector.Sum(TVector.Add(TVector.Add(a, b), TVector.Add(c, d)));
        for (; i < data.Length; i++)
            s += data[i];
        return s;
    }

    private static double FmaRate() =>
        Vector512.IsHardwareAccelerated ? FmaRate<Probe512>()
        : Vector256.IsHardwareAccelerated ? FmaRate<Probe256>()
        : FmaRate<Probe1>();

    private static double FmaRate<TVector>() where TVector : struct, IProbeVector<TVector>
    {
        const int Iterations = 1 << 16;
        float sink = FmaChains<TVector>(16);
        double rate = ProbeTimer.BestRate(() =>
        {
            sink += FmaChains<TVector>(Iterations);
            return (double)Iterations * 8 * 2 * TVector.Lanes;
        }, ProbeBudget);
        GC.KeepAlive(sink);
        return rate;
    }

    /// <summary>Eight independent FMA chains hide the FMA latency, so the loop runs at the issue rate.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float FmaChains<TVector>(int iterations) where TVector : struct, IProbeVector<TVector>
    {
        TVector m = TVector.Splat(0.999999f), k = TVector.Splat(1e-7f);
        TVector a = TVector.Splat(1f), b = a, c = a, d = a, e = a, f = a, g = a, h = a;
        for (int i = 0; i < iterations; i++)
        {
            a = TVector.Fma(a, m, k); b = TVector.Fma(b, m, k); c = TVector.Fma(c, m, k); d = TVector.Fma(d, m, k);
            e = TVector.Fma(e, m, k); f = TVector.Fma(f, m, k); g = TVector.Fma(g, m, k); h = TVector.Fma(h, m, k);
        }
        return TVector.Sum(TVector.Add(TVector.Add(TVector.Add(a, b), TVector.Add(c, d)), TVector.Add(TVector.Add(e, f), TVector.Add(g, h))));
    }

    /// <summary>Int8 multiply-accumulates per fp32 FMA slot: VNNI dot-product instructions (AVX-VNNI, or AVX10 which includes the AVX-512 VNNI forms) do four per lane.</summary>
    public static double Int8OpsPerFp32Flop => AvxVnni.IsSupported || Avx10v1.IsSupported ? 4 : 2;
}
