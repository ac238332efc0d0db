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
        if (Quantizer.CanQuantizeTo(type))
        {
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < columns; c++)
                    row[c] = (float)(random.NextDouble() * 2 - 1) * (1 + r % 3);
                Quantizer.Quantize(type, row, bytes.Slice((int)(r * rowBytes), (int)rowBytes));
            }
        }
        else
        {
            random.NextBytes(bytes);
            RandomBlocks.FixScales(type, bytes, random);
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

/// <summary>Random bytes make valid quants, but scale fields must be finite, moderate halves.</summary>
internal static class RandomBlocks
{
    public static void FixScales(GgmlType type, Span<byte> bytes, Random random)
    {
        int blockBytes = GgmlTypeTraits.BlockBytes(type);
        foreach (int offset in ScaleOffsets(type))
        {
            for (int b = 0; b < bytes.Length / blockBytes; b++)
            {
                float scale = (float)(random.NextDouble() * 0.02 + 0.001);
                BitConverter.TryWriteBytes(bytes.Slice(b * blockBytes + offset, 2), Fp16.FloatToHalf(scale));
            }
        }
    }

    /// <summary>Byte offsets of the fp16 scales within a block.</summary>
    private static int[] ScaleOffsets(GgmlType type) => type switch
    {
        GgmlType.F16 or GgmlType.BF16 or GgmlType.F32 => throw new ArgumentException("float types are generated from floats"),
        GgmlType.Q4_0 or GgmlType.Q8_0 or GgmlType.Q5_0 => [0],
        GgmlType.Q4_1 => [0, 2],
        GgmlType.Q4_K or GgmlType.Q5_K => [0, 2],
        GgmlType.Q6_K => [208],
        GgmlType.Q2_K => [80, 82],
        GgmlType.Q3_K => [108],
        _ => throw new ArgumentException($"no scale layout for {type}"),
    };
}
