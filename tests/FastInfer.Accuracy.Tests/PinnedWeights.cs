using System.Runtime.InteropServices;
using FastInfer.Kernels;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Accuracy.Tests;

/// <summary>Random weights quantized to a type in pinned memory, viewed as a <see cref="WeightMatrix"/>.</summary>
internal sealed class PinnedWeights
{
    private readonly byte[] _bytes;

    public PinnedWeights(GgmlType type, float[] values, int rows, int columns)
    {
        long rowBytes = GgmlTypeTraits.RowBytes(type, columns);
        _bytes = GC.AllocateArray<byte>(checked((int)(rowBytes * rows)), pinned: true);
        for (int r = 0; r < rows; r++)
            Quantizer.Quantize(type, values.AsSpan(r * columns, columns), _bytes.AsSpan((int)(r * rowBytes), (int)rowBytes));
        Matrix = new WeightMatrix(Marshal.UnsafeAddrOfPinnedArrayElement(_bytes, 0), _bytes.Length, type, rows, columns);
    }

    /// <summary>Valid while this object is reachable: the array stays pinned and alive with it.</summary>
    public WeightMatrix Matrix { get; }

    public static float[] Random(int count, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return values;
    }
}
