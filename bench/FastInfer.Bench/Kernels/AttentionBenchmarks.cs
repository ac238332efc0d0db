using BenchmarkDotNet.Attributes;
using FastInfer.Bench.Columns;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Threading;

namespace FastInfer.Bench.Kernels;

/// <summary>Decode attention of a Llama-3-8B layer (32 heads, 8 KV heads of 128) over F32 and F16 KV caches.</summary>
[Config(typeof(GigabytesPerSecondConfig))]
[MemoryDiagnoser]
public class AttentionBenchmarks : IBytesPerCall
{
    private const int Heads = 32, KvHeads = 8, HeadDim = 128;
    private float[] _q = [];
    private float[] _o = [];
    private float[] _k = [];
    private float[] _v = [];
    private Half[] _kHalf = [];
    private Half[] _vHalf = [];
    private ComputePool _pool = null!;

    [Params(512, 4096)]
    public int Context { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        float[] Fill(int n) => Enumerable.Range(0, n).Select(_ => random.NextSingle() * 2 - 1).ToArray();
        _q = Fill(Heads * HeadDim);
        _o = new float[Heads * HeadDim];
        _k = Fill(Context * KvHeads * HeadDim);
        _v = Fill(Context * KvHeads * HeadDim);
        _kHalf = _k.Select(x => (Half)x).ToArray();
        _vHalf = _v.Select(x => (Half)x).ToArray();
        _pool = new ComputePool(Threads);
    }

    public double BytesPerCall(string benchmarkMethod)
        => 2.0 * Context * KvHeads * HeadDim * (benchmarkMethod == nameof(DecodeF16) ? 2 : 4);

    [Benchmark]
    public void DecodeF32() => Attention.Decode(_q, _k, _v, 0, Context, Heads, KvHeads, HeadDim, _o, _pool);

    [Benchmark]
    public void DecodeF16() => Attention.Decode(_q, _kHalf, _vHalf, 0, Context, Heads, KvHeads, HeadDim, _o, _pool);

    [GlobalCleanup]
    public void Cleanup() => _pool.Dispose();
}
