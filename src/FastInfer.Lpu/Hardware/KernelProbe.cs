using System.Diagnostics;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using FastInfer.Kernels;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Threading;

namespace FastInfer.Lpu.Hardware;

/// <summary>
/// The rate one core's matrix-vector kernel consumes weights of a given type when they sit where a chip's tiles
/// sit: in L2, in the L3 share, or in DRAM. This is this machine's "matrix unit": a quantized dot product costs
/// unpacking and integer work per byte, so the rate is the kernel's, not the bare read bandwidth of the cache.
/// Measured once per (type, residency) and process as the best of short windows (<see cref="ProbeTimer"/>) over
/// about 250 ms (more windows, more chances of one no other process touched), after the kernel of that type has reached its optimized code (<see cref="JitWarmup"/>).
/// </summary>
public static class KernelProbe
{
    private static readonly TimeSpan Budget = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan WarmupLimit = TimeSpan.FromSeconds(3);
    /// <summary>A small matrix warms the kernel up: its calls are fast enough for the JIT's call counting.</summary>
    private const long WarmupBytes = 256 << 10;
    private static readonly ConcurrentDictionary<(GgmlType, long, int, int), double> Cache = new();
    private static readonly ConcurrentDictionary<GgmlType, bool> Warm = new();
    private static readonly ConcurrentDictionary<(GgmlType, int), double> CallCache = new();
    private static readonly TimeSpan CallBudget = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Weight bytes per second for a working set of <paramref name="workingSetBytes"/> (clamped to 64 KiB..128 MiB;
    /// beyond the caches every size behaves alike) in rows of <paramref name="columns"/> weights (rounded up to whole
    /// blocks): every row pays a fixed cost (its horizontal sum and store), so short rows stream slower. With
    /// <paramref name="chips"/> &gt; 1, that many cores run the probe at once, each on its own working set, and a window
    /// ends when the slowest finishes, as a step of the device does: cores that share caches, memory bandwidth or a
    /// physical core (SMT) slow each other down, and the rate per chip says so.
    /// </summary>
    public static double WeightBytesPerSecond(GgmlType type, long workingSetBytes, int columns, int chips = 1)
    {
        if (chips < 1 || chips > Environment.ProcessorCount * 4)
            throw new ArgumentOutOfRangeException(nameof(chips), $"probe on 1 to {Environment.ProcessorCount * 4} cores, got {chips}");
        columns = WholeBlocks(type, columns);
        // Round to a power of two so that nearby sizes share a probe.
        long size = Math.Clamp(workingSetBytes, 64L << 10, 128L << 20);
        size = 1L << (int)Math.Round(Math.Log2(size));
        return Cache.GetOrAdd((type, size, columns, chips), key => Measure(key.Item1, key.Item2, key.Item3, key.Item4));
    }

    /// <summary>
    /// Seconds a matrix-vector call costs besides its rows, measured as a one-row product of <paramref name="columns"/>
    /// weights: mostly the quantization of the input vector, which every call repeats, and the call's set-up. It is
    /// this machine's pipeline latency per dependent operation.
    /// </summary>
    public static double CallSeconds(GgmlType type, int columns)
    {
        columns = WholeBlocks(type, columns);
        return CallCache.GetOrAdd((type, columns), key =>
        {
            WarmUp(key.Item1, key.Item2);
            using var probe = new Probe(key.Item1, 0, key.Item2, rows: 1);
            const int Calls = 64;
            return 1 / ProbeTimer.BestRate(() =>
            {
                for (int i = 0; i < Calls; i++)
                    probe.Run();
                return Calls;
            }, CallBudget);
        });
    }

    private static int WholeBlocks(GgmlType type, int columns)
    {
        if (!GgmlTypeTraits.IsSupportedWeight(type))
            throw new ArgumentException($"no matrix-vector kernel for {type} weights");
        int block = GgmlTypeTraits.BlockSize(type);
        return Math.Clamp((columns + block - 1) / block * block, block, 1 << 16);
    }

    private static double Measure(GgmlType type, long bytes, int columns, int chips)
    {
        WarmUp(type, columns);
        if (chips == 1)
            return MeasureOne(type, bytes, columns);
        var probes = Enumerable.Range(0, chips).Select(_ => new Probe(type, bytes, columns)).ToArray();
        try
        {
            return MeasureTogether(probes);
        }
        finally
        {
            foreach (var probe in probes)
                probe.Dispose();
        }
    }

    private static double MeasureTogether(Probe[] probes)
    {
        int chips = probes.Length;
        // The window runs from a start all chips share to the last chip's end. The barriers only hand out windows, so
        // a blocked thread's wake-up (tens of microseconds) is not charged to the kernel, and the chips run together.
        var ends = new long[chips];
        long startAt = 0;
        using var barrier = new Barrier(chips);
        bool stop = false;
        long RunFromStart(int chip)
        {
            long start = Volatile.Read(ref startAt);
            while (Stopwatch.GetTimestamp() < start)
                Thread.SpinWait(16);
            long done = probes[chip].Run();
            ends[chip] = Stopwatch.GetTimestamp();
            return done;
        }
        var workers = Enumerable.Range(1, chips - 1).Select(chip => new Thread(() =>
        {
            while (true)
            {
                barrier.SignalAndWait();
                if (Volatile.Read(ref stop))
                    return;
                RunFromStart(chip);
                barrier.SignalAndWait();
            }
        }) { IsBackground = true }).ToArray();
        foreach (var worker in workers)
            worker.Start();
        probes[0].Run(); // loads this core's caches
        double rate = ProbeTimer.BestRate(() =>
        {
            // Far enough ahead for a blocked peer to wake up and reach the start.
            Volatile.Write(ref startAt, Stopwatch.GetTimestamp() + Stopwatch.Frequency / 5000);
            barrier.SignalAndWait();
            long bytes = RunFromStart(0);
            barrier.SignalAndWait();
            return ((double)bytes, (ends.Max() - startAt) / (double)Stopwatch.Frequency);
        }, Budget);
        Volatile.Write(ref stop, true);
        barrier.SignalAndWait();
        foreach (var worker in workers)
            worker.Join();
        return rate;
    }

    /// <summary>
    /// One core's matrix, filled and ready to multiply, a window of at most <see cref="WindowBytes"/> at a time. The
    /// windows cycle through the whole matrix, so a working set larger than the caches still comes from DRAM, but a
    /// window stays short: on a loaded machine short windows are the ones that escape preemption.
    /// </summary>
    private sealed class Probe : IDisposable
    {
        private readonly PackedWeights? _packed;
        private const long WindowBytes = 16L << 20;
        private readonly byte[] _buffer;
        private readonly WeightMatrix _w;
        private readonly float[] _x, _y;
        private readonly int _windowRows;
        private int _next;

        /// <param name="rows">Rows of the matrix (default: as many as <paramref name="bytes"/> hold, at least 16).</param>
        public Probe(GgmlType type, long bytes, int columns, int? rows = null)
        {
            long rowBytes = GgmlTypeTraits.RowBytes(type, columns);
            int count = rows ?? (int)Math.Max(16, bytes / rowBytes);
            Length = count * rowBytes;
            _buffer = GC.AllocateUninitializedArray<byte>(checked((int)Length), pinned: true);
            // 0x11 in every byte is a small finite value for every block type (scales, halves, floats alike), and
            // writing it touches every page, so the probe reads real memory rather than the shared zero page.
            _buffer.AsSpan().Fill(0x11);
            _w = new WeightMatrix(Marshal.UnsafeAddrOfPinnedArrayElement(_buffer, 0), Length, type, count, columns);
            // The engine (and so the device) packs Q4_0/Q8_0 at load for the AVX2/AVX-512 kernels; probe the same kernels.
            if (PackedWeights.IsReadOn(KernelIsa.Active) && PackedWeights.TryPack(_w, out _packed))
                _w = _packed.Matrix;
            _x = new float[columns];
            _x.AsSpan().Fill(1f);
            _y = new float[count];
            _windowRows = (int)Math.Clamp(WindowBytes / rowBytes, 1, count);
        }

        public long Length { get; }

        public void Dispose() => _packed?.Dispose();

        /// <summary>Multiplies the next window of rows; returns its bytes.</summary>
        public long Run()
        {
            int rows = Math.Min(_windowRows, _w.Rows - _next);
            MatVec.Multiply(_w.SliceRows(_next, rows), _x, _y.AsSpan(_next, rows), ComputePool.SingleThreaded);
            _next = (_next + rows) % _w.Rows;
            return rows * (Length / _w.Rows);
        }
    }

    /// <summary>Once per type and process: every later probe of the type, on any thread, runs optimized code.</summary>
    private static void WarmUp(GgmlType type, int columns)
    {
        if (Warm.ContainsKey(type))
            return;
        using var probe = new Probe(type, WarmupBytes, columns);
        JitWarmup.Run(() => probe.Run(), JitWarmup.DefaultQuiet, WarmupLimit);
        Warm[type] = true;
    }

    private static double MeasureOne(GgmlType type, long bytes, int columns)
    {
        using var probe = new Probe(type, bytes, columns);
        probe.Run(); // loads the caches
        return ProbeTimer.BestRate(() => probe.Run(), Budget);
    }
}
