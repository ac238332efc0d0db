using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using FastInfer.Kernels;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Threading;

namespace FastInfer.Lpu.Hardware;

/// <summary>
/// The rate one core's matrix-vector kernel consumes weights of a given type when they sit where a chip's tiles
/// sit: in L2, in the L3 share, or in DRAM. This is this machine's "matrix unit": a quantized dot product costs
/// unpacking and integer work per byte, so the rate is the kernel's, not the bare read bandwidth of the cache.
/// Measured once per (type, residency) and process as the best of short windows (<see cref="ProbeTimer"/>); each probe takes about 40 ms.
/// </summary>
public static class KernelProbe
{
    private static readonly TimeSpan Budget = TimeSpan.FromMilliseconds(40);
    private static readonly ConcurrentDictionary<(GgmlType, long, int), double> Cache = new();

    /// <summary>
    /// Weight bytes per second for a working set of <paramref name="workingSetBytes"/> (clamped to 64 KiB..128 MiB;
    /// beyond the caches every size behaves alike) in rows of <paramref name="columns"/> weights (rounded up to whole
    /// blocks): every row pays a fixed cost (its horizontal sum and store), so short rows stream slower.
    /// </summary>
    public static double WeightBytesPerSecond(GgmlType type, long workingSetBytes, int columns)
    {
        int block = GgmlTypeTraits.BlockSize(type);
        columns = Math.Clamp((columns + block - 1) / block * block, block, 1 << 16);
        if (!GgmlTypeTraits.IsSupportedWeight(type))
            throw new ArgumentException($"no matrix-vector kernel for {type} weights");
        // Round to a power of two so that nearby sizes share a probe.
        long size = Math.Clamp(workingSetBytes, 64L << 10, 128L << 20);
        size = 1L << (int)Math.Round(Math.Log2(size));
        return Cache.GetOrAdd((type, size, columns), key => Measure(key.Item1, key.Item2, key.Item3));
    }

    private static double Measure(GgmlType type, long bytes, int columns)
    {
        long rowBytes = GgmlTypeTraits.RowBytes(type, columns);
        int rows = (int)Math.Max(16, bytes / rowBytes);
        long length = rows * rowBytes;
        var buffer = GC.AllocateUninitializedArray<byte>(checked((int)length), pinned: true);
        // 0x11 in every byte is a small finite value for every block type (scales, halves, floats alike), and
        // writing it touches every page, so the probe reads real memory rather than the shared zero page.
        buffer.AsSpan().Fill(0x11);
        var w = new WeightMatrix(Marshal.UnsafeAddrOfPinnedArrayElement(buffer, 0), length, type, rows, columns);
        var x = new float[columns];
        x.AsSpan().Fill(1f);
        var y = new float[rows];
        MatVec.Multiply(w, x, y, ComputePool.SingleThreaded); // warm-up: JIT and caches
        double rate = ProbeTimer.BestRate(() =>
        {
            MatVec.Multiply(w, x, y, ComputePool.SingleThreaded);
            return length;
        }, Budget);
        GC.KeepAlive(buffer);
        return rate;
    }
}
