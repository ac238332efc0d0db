using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using FastInfer.Kernels;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Quantization;
using FastInfer.Kernels.Threading;

namespace FastInfer.Bench.Kernels;

/// <summary>
/// Shared setup of the matrix benchmarks: random weights of the benchmarked type, inputs, outputs and a pool. Where the
/// active kernel path reads a packed copy of the type (<see cref="PackedWeights.IsReadOn(IsaPath, GgmlType)"/>), the
/// weights are packed as the engine packs them at load, so the kernels measured are the ones a model runs.
/// </summary>
public abstract unsafe class WeightBenchmark
{
    private nint _weights;
    private PackedWeights? _packed;
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
        if (PackedWeights.IsReadOn(KernelIsa.Active, Type))
        {
            _packed = PackedWeights.Pack(Matrix);
            Matrix = _packed.Matrix;
        }
        X = Enumerable.Range(0, tokens * columns).Select(i => MathF.Sin(i)).ToArray();
        Y = new float[tokens * rows];
        Pool = new ComputePool(Threads);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Pool.Dispose();
        _packed?.Dispose();
        _packed = null;
        NativeMemory.AlignedFree((void*)_weights);
    }
}
