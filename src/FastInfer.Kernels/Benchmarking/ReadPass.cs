using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Benchmarking;

/// <summary>
/// A pure read stream over memory, split across the pool in contiguous shares: the yardstick every bandwidth-bound
/// kernel is judged against. Eight independent Vector512 sums per 512 bytes keep the adds far off the critical path,
/// so the pass is limited by the loads alone. The adds are integer adds: the memory may hold any bytes (quantized
/// weights), and float adds of denormal or NaN patterns could take slow microcode paths. Each line is also prefetched
/// 4 KiB ahead: without it this pass read 10–25% slower than the best matrix-vector kernels over the same memory
/// (the hardware prefetcher alone falls behind a loop that does nothing but load), so it understated the limit.
/// </summary>
internal unsafe struct ReadPass : IRowJob
{
    private const int PrefetchWords = 1024; // 4 KiB

    private int* _buffer;
    private long _words;
    private int _chunks;
    private int _sink; // the sums are kept, so the loads cannot be optimized away

    public ReadPass(void* buffer, long bytes, int threads)
    {
        _buffer = (int*)buffer;
        _words = bytes / sizeof(int);
        _chunks = threads * 16;
        _sink = 0;
    }

    /// <summary>Reads the whole buffer once (a trailing partial word is skipped).</summary>
    public void Run(ComputePool pool) => pool.For(_chunks, ref this);

    public void Execute(int start, int end)
    {
        long per = _words / _chunks;
        _sink += Sum(_buffer, start * per, end == _chunks ? _words : end * per);
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
            int* ahead = p + PrefetchWords;
            Sse.Prefetch0(ahead);
            Sse.Prefetch0(ahead + 16);
            Sse.Prefetch0(ahead + 32);
            Sse.Prefetch0(ahead + 48);
            Sse.Prefetch0(ahead + 64);
            Sse.Prefetch0(ahead + 80);
            Sse.Prefetch0(ahead + 96);
            Sse.Prefetch0(ahead + 112);
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
