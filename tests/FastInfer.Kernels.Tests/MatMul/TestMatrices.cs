using System.Runtime.InteropServices;
using FastInfer.Kernels;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Tests.MatMul;

/// <summary>Random weight matrices of any supported type in pinned native memory, plus their decoded floats.</summary>
internal sealed unsafe class TestMatrix : IDisposable
{
    public TestMatrix(GgmlType type, int rows, int columns, int seed)
    {
        var random = new Random(seed);
        long rowBytes = GgmlTypeTraits.RowBytes(type, columns);
        Bytes = rowBytes * rows;
        Data = (nint)NativeMemory.AlignedAlloc((nuint)Bytes, 64);
        var bytes = new Span<byte>((void*)Data, checked((int)Bytes));
        var row = new float[columns];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
                row[c] = (float)(random.NextDouble() * 2 - 1) * (1 + r % 3);
            Quantizer.Quantize(type, row, bytes.Slice((int)(r * rowBytes), (int)rowBytes));
        }
        Matrix = new WeightMatrix(Data, Bytes, type, rows, columns);
        Floats = new float[rows * columns];
        for (int r = 0; r < rows; r++)
            Quantizer.Dequantize(type, Matrix.RowSpan(r), Floats.AsSpan(r * columns, columns));
    }

    public nint Data { get; }
    public long Bytes { get; }
    public WeightMatrix Matrix { get; }
    public float[] Floats { get; }

    public void Dispose() => NativeMemory.AlignedFree((void*)Data);

    public static float[] RandomVector(int n, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }
}
