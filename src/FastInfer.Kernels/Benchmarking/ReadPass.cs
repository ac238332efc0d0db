using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Benchmarking;

/// <summary>
/// A pure read over memory, the yardstick every bandwidth-bound kernel is judged against, in one of two patterns
/// (<see cref="ReadPattern"/>): contiguous shares read as eight streams each (<see cref="SumStreams"/>), or each thread's
/// share read as two long streams (<see cref="SumTwoStreams"/>), as the packed decode kernels read. Which is faster depends
/// on the host's state, so the limits are measured with both, alternated, and the faster taken. Independent Vector512
/// sums keep the adds far off the critical path, so the pass is limited by the loads alone. The adds are integer adds:
/// the memory may hold any bytes (quantized weights), and float adds of denormal or NaN patterns could take slow
/// microcode paths. <see cref="Sum"/>, the one-stream read, prefetches 4 KiB ahead: without it one stream read 10–25%
/// slower than the best matrix-vector kernels over the same memory.
/// </summary>
internal unsafe struct ReadPass : IRowJob
{
    private const int PrefetchWords = 1024; // 4 KiB

    private int* _buffer;
    private long _words;
    private int _chunks;
    private ReadPattern _pattern;
    private int _sink; // the sums are kept, so the loads cannot be optimized away

    public ReadPass(void* buffer, long bytes, int threads, ReadPattern pattern)
    {
        _buffer = (int*)buffer;
        _words = bytes / sizeof(int);
        _chunks = pattern == ReadPattern.TwoStreamShares ? threads : threads * 16;
        _pattern = pattern;
        _sink = 0;
    }

    /// <summary>The pattern of call <paramref name="call"/> when a limit is measured with both, alternated.</summary>
    public static ReadPattern Alternate(int call) => call % 2 == 0 ? ReadPattern.EightStreamChunks : ReadPattern.TwoStreamShares;

    /// <summary>Reads the whole buffer once (a trailing partial word is skipped).</summary>
    public void Run(ComputePool pool) => pool.For(_chunks, ref this);

    public void Execute(int start, int end)
    {
        long per = _words / _chunks;
        long first = start * per, last = end == _chunks ? _words : end * per;
        _sink += _pattern == ReadPattern.TwoStreamShares ? SumTwoStreams(_buffer, first, last) : SumStreams(_buffer, first, last);
    }

    /// <summary>
    /// Wrapping sum of the 32-bit words [start, end) read as two streams at once, each over half of the range, as a
    /// thread of the packed decode kernels reads its run of groups (<see cref="Packed.TwoStreams"/>). On this project's
    /// host, in trial runs outside the repository, this read faster than <see cref="SumStreams"/> in most states and
    /// slower in some; a yardstick below what plain reads reach is no limit, so both are measured.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int SumTwoStreams(int* buffer, long start, long end)
    {
        long part = (end - start) / 2 / 64 * 64; // whole 256-byte steps per stream
        var a0 = Vector512<int>.Zero;
        var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0; var a6 = a0; var a7 = a0;
        int* p = buffer + start, q = p + part;
        for (long i = 0; i < part; i += 64)
        {
            a0 += Vector512.Load(p + i);
            a1 += Vector512.Load(p + i + 16);
            a2 += Vector512.Load(p + i + 32);
            a3 += Vector512.Load(p + i + 48);
            a4 += Vector512.Load(q + i);
            a5 += Vector512.Load(q + i + 16);
            a6 += Vector512.Load(q + i + 32);
            a7 += Vector512.Load(q + i + 48);
        }
        return Vector512.Sum((a0 + a1) + (a2 + a3) + ((a4 + a5) + (a6 + a7))) + Sum(buffer, start + 2 * part, end);
    }

    /// <summary>
    /// Wrapping sum of the 32-bit words [start, end) read as eight streams at once, each over an eighth of the range,
    /// as a matrix-vector kernel reads eight rows per pass. The hardware prefetchers keep more lines in flight over
    /// several streams than over one: on the Zen 5 this project measures on, eight streams read faster than the one
    /// prefetched stream of <see cref="Sum"/>, on one thread and on two, and the F32 kernel that reads eight rows per
    /// pass came out above the one-stream pass. A yardstick below what a kernel reaches is no limit, so the pass
    /// reads eight streams.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int SumStreams(int* buffer, long start, long end)
    {
        const int Streams = 8;
        long part = (end - start) / Streams / 32 * 32; // whole 128-byte steps per stream
        var a0 = Vector512<int>.Zero;
        var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0; var a6 = a0; var a7 = a0;
        int* p0 = buffer + start;
        int* p1 = p0 + part, p2 = p1 + part, p3 = p2 + part, p4 = p3 + part, p5 = p4 + part, p6 = p5 + part, p7 = p6 + part;
        for (long i = 0; i < part; i += 32)
        {
            a0 += Vector512.Load(p0 + i) + Vector512.Load(p0 + i + 16);
            a1 += Vector512.Load(p1 + i) + Vector512.Load(p1 + i + 16);
            a2 += Vector512.Load(p2 + i) + Vector512.Load(p2 + i + 16);
            a3 += Vector512.Load(p3 + i) + Vector512.Load(p3 + i + 16);
            a4 += Vector512.Load(p4 + i) + Vector512.Load(p4 + i + 16);
            a5 += Vector512.Load(p5 + i) + Vector512.Load(p5 + i + 16);
            a6 += Vector512.Load(p6 + i) + Vector512.Load(p6 + i + 16);
            a7 += Vector512.Load(p7 + i) + Vector512.Load(p7 + i + 16);
        }
        return Vector512.Sum((a0 + a1) + (a2 + a3) + ((a4 + a5) + (a6 + a7))) + Sum(buffer, start + Streams * part, end);
    }

    /// <summary>Wrapping sum of the 32-bit words [start, end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Sum(int* buffer, long start, long end)
    {
        var a0 = Vector512<int>.Zero;
        var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0; var a6 = a0; var a7 = a0;
        long i = start;
        for (; i + 128 <= end; i += 128)
        {
            int* p = buffer + i;
            // .NET exposes no prefetch on Arm64; there the hardware prefetchers alone run ahead of this stream.
            if (Sse.IsSupported)
            {
                int* ahead = p + PrefetchWords;
                Sse.Prefetch0(ahead);
                Sse.Prefetch0(ahead + 16);
                Sse.Prefetch0(ahead + 32);
                Sse.Prefetch0(ahead + 48);
                Sse.Prefetch0(ahead + 64);
                Sse.Prefetch0(ahead + 80);
                Sse.Prefetch0(ahead + 96);
                Sse.Prefetch0(ahead + 112);
            }
            a0 += Vector512.Load(p);
            a1 += Vector512.Load(p + 16);
            a2 += Vector512.Load(p + 32);
            a3 += Vector512.Load(p + 48);
            a4 += Vector512.Load(p + 64);
            a5 += Vector512.Load(p + 80);
            a6 += Vector512.Load(p + 96);
            a7 += Vector512.Load(p + 112);
        }
        for (; i + 16 <= end; i += 16)
            a0 += Vector512.Load(buffer + i);
        int sum = Vector512.Sum((a0 + a1) + (a2 + a3) + ((a4 + a5) + (a6 + a7)));
        for (; i < end; i++)
            sum += buffer[i];
        return sum;
    }
}

/// <summary>How a <see cref="ReadPass"/> walks its memory.</summary>
internal enum ReadPattern
{
    /// <summary>Sixteen contiguous shares per thread, each read as eight streams (<see cref="ReadPass.SumStreams"/>).</summary>
    EightStreamChunks,

    /// <summary>One contiguous share per thread, read as two streams (<see cref="ReadPass.SumTwoStreams"/>).</summary>
    TwoStreamShares,
}
