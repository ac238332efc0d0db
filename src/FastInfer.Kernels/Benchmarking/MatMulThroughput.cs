using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Quantization;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Benchmarking;

/// <summary>One throughput measurement: time per call and the rates it implies.</summary>
/// <param name="SecondsPerCall">Fastest wall time of one call (the machine may be shared; the minimum is the kernel's own speed).</param>
/// <param name="GigabytesPerSecond">Weight bytes read per second.</param>
/// <param name="GigaOpsPerSecond">Multiply-adds ×2 per second (GFLOP/s for float weights, GOP/s for integer kernels).</param>
public readonly record struct KernelThroughput(double SecondsPerCall, double GigabytesPerSecond, double GigaOpsPerSecond);

/// <summary>
/// Self-contained timing of the matrix kernels on random weights, for <c>fastinfer bench-kernels</c>
/// (BenchmarkDotNet classes in bench/ give the careful numbers).
/// </summary>
public static unsafe class MatMulThroughput
{
    /// <summary>Decode: y = W·x with W of <paramref name="type"/>, repeated for about <paramref name="seconds"/>.</summary>
    public static KernelThroughput MatVec(GgmlType type, int rows, int columns, int threads, double seconds)
        => Measure(type, rows, columns, tokens: 1, threads, seconds);

    /// <summary>Prefill: Y = X·Wᵀ for <paramref name="tokens"/> tokens.</summary>
    public static KernelThroughput MatMul(GgmlType type, int rows, int columns, int tokens, int threads, double seconds)
        => Measure(type, rows, columns, tokens, threads, seconds);

    /// <summary>
    /// The machine's streaming read bandwidth in GB/s with <paramref name="threads"/> threads: the best pass (of either read
    /// pattern) summing a buffer of <paramref name="megabytes"/> MiB (default far larger than any cache), the yardstick for the
    /// bandwidth-bound decode kernels.
    /// </summary>
    public static double ReadBandwidth(int threads, double seconds, int megabytes = 512)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(megabytes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(megabytes, 2047);
        long Bytes = (long)megabytes << 20;
        var data = (byte*)NativeMemory.AlignedAlloc((nuint)Bytes, 64);
        try
        {
            new Span<byte>(data, (int)Bytes).Fill(1);
            using var pool = new ComputePool(threads);
            double best = double.MaxValue;
            var total = Stopwatch.StartNew();
            // Both read patterns, alternated: the faster is the limit (see ReadPass).
            for (int passes = 0; total.Elapsed.TotalSeconds < seconds || passes < 4; passes++)
            {
                var pass = new ReadPass(data, Bytes, threads, ReadPass.Alternate(passes));
                long start = Stopwatch.GetTimestamp();
                pass.Run(pool);
                best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
            return Bytes / best / 1e9;
        }
        finally
        {
            NativeMemory.AlignedFree(data);
        }
    }

    private static KernelThroughput Measure(GgmlType type, int rows, int columns, int tokens, int threads, double seconds)
    {
        if (!Quantizer.CanQuantizeTo(type))
            throw new NotSupportedException($"cannot generate {type} weights to measure");
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        long rowBytes = GgmlTypeTraits.RowBytes(type, columns);
        long bytes = rowBytes * rows;
        var data = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        try
        {
            var random = new Random(1);
            var row = new float[columns];
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < columns; c++)
                    row[c] = (float)(random.NextDouble() * 2 - 1);
                Quantizer.Quantize(type, row, new Span<byte>(data + r * rowBytes, checked((int)rowBytes)));
            }
            var w = new WeightMatrix((nint)data, bytes, type, rows, columns);
            var x = new float[tokens * columns];
            for (int i = 0; i < x.Length; i++)
                x[i] = MathF.Sin(i);
            var y = new float[tokens * rows];
            using var pool = new ComputePool(threads);
            Action call = tokens == 1
                ? () => Ops.MatVec.Multiply(w, x, y, pool)
                : () => Ops.MatMul.Multiply(w, x, y, tokens, pool);
            call();
            var times = new List<double>();
            var total = Stopwatch.StartNew();
            while (total.Elapsed.TotalSeconds < seconds || times.Count < 3)
            {
                long start = Stopwatch.GetTimestamp();
                call();
                times.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
            double best = times.Min();
            return new KernelThroughput(best, bytes / best / 1e9, 2.0 * rows * columns * tokens / best / 1e9);
        }
        finally
        {
            NativeMemory.AlignedFree(data);
        }
    }
}
