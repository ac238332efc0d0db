using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using FastInfer.Kernels;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Quantization;
using FastInfer.Kernels.Threading;

namespace FastInfer.Bench.Kernels;

/// <summary>Decode matrix-vector products on a Llama-7B FFN-sized matrix (larger than the L3).</summary>
[MemoryDiagnoser]
public unsafe class MatVecBenchmarks
{
    private const int Rows = 11008, Columns = 4096;
    private nint _weights;
    private WeightMatrix _matrix;
    private float[] _x = [];
    private float[] _y = [];
    private ComputePool _pool = null!;

    [Params(GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0)]
    public GgmlType Type { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        var row = new float[Columns];
        long rowBytes = GgmlTypeTraits.RowBytes(Type, Columns);
        _weights = (nint)NativeMemory.AlignedAlloc((nuint)(rowBytes * Rows), 64);
        for (int r = 0; r < Rows; r++)
        {
            for (int c = 0; c < Columns; c++)
                row[c] = (float)(random.NextDouble() * 2 - 1);
            Quantizer.Quantize(Type, row, new Span<byte>((byte*)_weights + r * rowBytes, (int)rowBytes));
        }
        _matrix = new WeightMatrix(_weights, rowBytes * Rows, Type, Rows, Columns);
        _x = Enumerable.Range(0, Columns).Select(i => MathF.Sin(i)).ToArray();
        _y = new float[Rows];
        _pool = new ComputePool(Threads);
    }

    [Benchmark]
    public void Multiply() => MatVec.Multiply(_matrix, _x, _y, _pool);

    [GlobalCleanup]
    public void Cleanup()
    {
        _pool.Dispose();
        NativeMemory.AlignedFree((void*)_weights);
    }
}
