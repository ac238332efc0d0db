using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using FastInfer.Kernels;
using FastInfer.Kernels.Quantization;
using FastInfer.Kernels.Threading;

namespace FastInfer.Bench.Kernels;

/// <summary>Shared setup of the matrix benchmarks: random weights of the benchmarked type, inputs, outputs and a pool.</summary>
public abstract unsafe class WeightBenchmark
{
    private nint _weights;
    protected WeightMatrix Matrix;
    protected float[] X = [];
    protected float[] Y = [];
    protected ComputePool Pool = null!;

    public abstract GgmlType Type { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    protected void Create(int rows, int columns, int tokens)
    {
        var random = new Random(1);
        var row = new float[columns];
        long rowBytes = GgmlTypeTraits.RowBytes(Type, columns);
        _weights = (nint)NativeMemory.AlignedAlloc((nuint)(rowBytes * rows), 64);
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
                row[c] = (float)(random.NextDouble() * 2 - 1);
            Quantizer.Quantize(Type, row, new Span<byte>((byte*)_weights + r * rowBytes, (int)rowBytes));
        }
        Matrix = new WeightMatrix(_weights, rowBytes * rows, Type, rows, columns);
        X = Enumerable.Range(0, tokens * columns).Select(i => MathF.Sin(i)).ToArray();
        Y = new float[tokens * rows];
        Pool = new ComputePool(Threads);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Pool.Dispose();
        NativeMemory.AlignedFree((void*)_weights);
    }
}
