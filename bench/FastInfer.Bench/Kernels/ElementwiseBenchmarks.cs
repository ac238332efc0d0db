using BenchmarkDotNet.Attributes;
using FastInfer.Bench.Columns;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops;

namespace FastInfer.Bench.Kernels;

/// <summary>The elementwise family at model widths, on each kernel path.</summary>
[Config(typeof(GigabytesPerSecondConfig))]
[MemoryDiagnoser]
public class ElementwiseBenchmarks : IBytesPerCall
{
    private float[] _x = [];
    private float[] _y = [];
    private float[] _w = [];
    private float[] _logits = [];
    private int[] _topIndices = [];
    private float[] _topValues = [];
    private RopeTable _rope = null!;

    [Params(4096, 11008)]
    public int Width { get; set; }

    [Params(IsaPath.Scalar, IsaPath.V128, IsaPath.Avx2, IsaPath.Avx512)]
    public IsaPath Path { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        float[] Fill(int n) => Enumerable.Range(0, n).Select(_ => random.NextSingle() * 2 - 1).ToArray();
        _x = Fill(Width);
        _y = Fill(Width);
        _w = Fill(Width);
        _logits = Fill(32000);
        _topIndices = new int[40];
        _topValues = new float[40];
        _rope = new RopeTable(128, 128, 4096, 10000f, RopeLayout.Interleaved);
        if (Path > KernelIsa.Hardware)
            throw new NotSupportedException($"this CPU cannot run the {Path} path");
    }

    public double BytesPerCall(string benchmarkMethod) => benchmarkMethod switch
    {
        nameof(RmsNorm) or nameof(SiluMul) or nameof(AddScaled) => 3.0 * Width * sizeof(float),
        nameof(Softmax) => 3.0 * 32000 * sizeof(float),
        nameof(TopK) or nameof(ArgMax) => 32000.0 * sizeof(float),
        nameof(Rope) => 2.0 * Width * sizeof(float),
        _ => 0,
    };

    [Benchmark]
    public void RmsNorm() => Norms.RmsNorm(_x, _w, 1e-5f, _y, Path);

    [Benchmark]
    public void SiluMul() => Activations.SiluMul(_y, _x, Path);

    [Benchmark]
    public void AddScaled() => VectorOps.AddScaled(_y, _x, 1e-9f, Path);

    /// <summary>Softmax in place; the exponentials keep its inputs in range across calls.</summary>
    [Benchmark]
    public void Softmax() => VectorOps.Softmax(_logits, Path);

    [Benchmark]
    public int ArgMax() => VectorOps.ArgMax(_logits, Path);

    [Benchmark]
    public int TopK() => FastInfer.Kernels.Ops.Elementwise.Selection.TopK(_logits, 40, _topIndices, _topValues, Path);

    /// <summary>RoPE over Width/128 heads of 128.</summary>
    [Benchmark]
    public void Rope() => _rope.Apply(_y.AsSpan(0, Width / 128 * 128), Width / 128, 1000, Path);
}
