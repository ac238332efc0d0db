using BenchmarkDotNet.Attributes;
using FastInfer.Bench.Columns;
using FastInfer.Kernels.Threading;

namespace FastInfer.Bench.Kernels;

/// <summary>
/// The pool's per-call overhead (an empty job: what every op of a small model pays on top of its work) and a
/// small parallel sum over an L2-resident buffer.
/// </summary>
[Config(typeof(GigabytesPerSecondConfig))]
[MemoryDiagnoser]
public unsafe class ComputePoolBenchmarks : IBytesPerCall
{
    private const int Floats = 64 * 1024;
    private ComputePool _pool = null!;
    private float[] _buffer = [];

    [Params(1, 2, 3)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _pool = new ComputePool(Threads);
        _buffer = Enumerable.Range(0, Floats).Select(i => (float)i).ToArray();
    }

    public double BytesPerCall(string benchmarkMethod) => benchmarkMethod == nameof(SmallSum) ? Floats * sizeof(float) : 0;

    private struct EmptyJob : IRowJob
    {
        public readonly void Execute(int start, int end)
        {
        }
    }

    private struct SumJob : IRowJob
    {
        public float* Data;
        public float* Sums;

        public readonly void Execute(int start, int end)
        {
            float sum = 0;
            for (int i = start; i < end; i++)
                sum += Data[i];
            Sums[start * 64 / Floats] = sum;
        }
    }

    [Benchmark]
    public void EmptyFor()
    {
        var job = new EmptyJob();
        _pool.For(Threads, ref job);
    }

    [Benchmark]
    public void SmallSum()
    {
        float* sums = stackalloc float[64];
        fixed (float* data = _buffer)
        {
            var job = new SumJob { Data = data, Sums = sums };
            _pool.For(Floats, ref job, grain: Floats / 64);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _pool.Dispose();
}
