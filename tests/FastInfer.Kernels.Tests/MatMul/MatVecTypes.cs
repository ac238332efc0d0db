using FastInfer.Kernels.Tests.Support;
using FastInfer.Kernels;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Tests.MatMul;

/// <summary>The weight types the matrix kernels cover, with test shapes that exercise the tile and block tails.</summary>
internal static class MatVecTypes
{
    public static readonly GgmlType[] All =
    [
        GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
        GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
    ];

    /// <summary>Theory data: each of <paramref name="types"/> on every kernel path this machine runs.</summary>
    public static TheoryData<GgmlType, IsaPath> OnEveryPath(IEnumerable<GgmlType> types)
    {
        var data = new TheoryData<GgmlType, IsaPath>();
        foreach (var type in types)
            foreach (var path in IsaPaths.Paths)
                data.Add(type, path);
        return data;
    }

    public static bool IsKQuant(GgmlType type) => GgmlTypeTraits.BlockSize(type) == 256;

    /// <summary>Odd row counts (not multiples of any tile) and column counts of 1, 3 and many blocks.</summary>
    public static IEnumerable<(int Rows, int Columns)> Shapes(GgmlType type)
    {
        int block = GgmlTypeTraits.BlockSize(type);
        if (block == 1)
            return [(1, 1), (3, 7), (5, 33), (17, 100), (19, 515)];
        return [(1, block), (5, 3 * block), (17, 5 * block), (19, Math.Max(4 * block, 1024))];
    }

    /// <summary>What the integer kernels see of x: quantized to the activation blocks and decoded (floats unchanged).</summary>
    public static float[] ActivationRoundTrip(GgmlType weightType, float[] x)
    {
        if (weightType == GgmlType.F16)
            return x.Select(v => (float)(Half)v).ToArray(); // F16 weights meet activations rounded to F16, as in ggml
        if (GgmlTypeTraits.BlockSize(weightType) == 1)
            return x;
        var activationType = IsKQuant(weightType) ? GgmlType.Q8_K : GgmlType.Q8_0;
        var bytes = new byte[GgmlTypeTraits.RowBytes(activationType, x.Length)];
        Quantizer.Quantize(activationType, x, bytes);
        var back = new float[x.Length];
        Quantizer.Dequantize(activationType, bytes, back);
        return back;
    }
}
