using FastInfer.Kernels.Threading;

namespace FastInfer.Engine.Models;

/// <summary>
/// Copies a weight range at load in 1 MiB chunks across the pool, so every thread faults in and fills its own part of
/// a large matrix.
/// </summary>
internal static unsafe class ParallelCopy
{
    public static void Run(byte* source, byte* target, long length, ComputePool pool)
    {
        var job = new CopyJob { Source = source, Target = target, Length = length };
        pool.For(CopyJob.Chunks(length), ref job);
    }

    private struct CopyJob : IRowJob
    {
        private const long ChunkBytes = 1 << 20;

        public byte* Source;
        public byte* Target;
        public long Length;

        public static int Chunks(long length) => checked((int)((length + ChunkBytes - 1) / ChunkBytes));

        public readonly void Execute(int start, int end)
        {
            long first = start * ChunkBytes;
            long bytes = Math.Min(Length, end * ChunkBytes) - first;
            Buffer.MemoryCopy(Source + first, Target + first, bytes, bytes);
        }
    }
}
