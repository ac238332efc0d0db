using FastInfer.Kernels;
using FastInfer.Kernels.Isa;

namespace FastInfer.Kernels.Tests.Packed;

/// <summary>The packable types, paths and shapes the packed-kernel tests run over.</summary>
internal static class PackedCases
{
    /// <summary>The types with packed decode and prefill kernels.</summary>
    public static readonly GgmlType[] Types = [GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q8_0];

    /// <summary>The types with a packed decode kernel (packed K-quants prefill from the ggml rows).</summary>
    public static readonly GgmlType[] DecodeTypes = [.. Types, GgmlType.Q4_K, GgmlType.Q6_K];

    /// <summary>Rows below, at and past a group of eight; one block, a few, and many (blocks of the type's size).</summary>
    public static (int Rows, int Columns)[] Shapes(GgmlType type)
    {
        int scale = GgmlTypeTraits.BlockSize(type) / 32;
        return [(1, 32 * scale), (5, 96 * scale), (8, 32 * scale), (17, 160 * scale), (19, 1024 * scale), (64, 256 * scale)];
    }

    public static TheoryData<GgmlType, IsaPath> TypesAndPaths() => OnEveryPath(Types);

    public static TheoryData<GgmlType, IsaPath> DecodeTypesAndPaths() => OnEveryPath(DecodeTypes);

    private static TheoryData<GgmlType, IsaPath> OnEveryPath(GgmlType[] types)
    {
        var data = new TheoryData<GgmlType, IsaPath>();
        foreach (var type in types)
            foreach (var path in KernelIsa.Available)
                data.Add(type, path);
        return data;
    }

    public static TheoryData<GgmlType> AllTypes() => new(Types);

    public static TheoryData<GgmlType> AllDecodeTypes() => new(DecodeTypes);

    /// <summary>
    /// Integer sums are exact on both sides; the packed kernel adds each block's term with one FMA where the scalar
    /// reference multiplies and adds, so each block differs by at most two roundings of a value below Σ|w·x|.
    /// </summary>
    public static void AssertRowsClose(float[] weights, ReadOnlySpan<float> x, ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        int columns = x.Length;
        for (int r = 0; r < expected.Length; r++)
        {
            double magnitude = 0;
            for (int c = 0; c < columns; c++)
                magnitude += Math.Abs(weights[r * columns + c] * x[c]);
            double bound = columns / 32 * Math.Pow(2, -23) * magnitude + 1e-7;
            Assert.True(Math.Abs(expected[r] - actual[r]) <= bound, $"{what} row {r}: {actual[r]} vs scalar {expected[r]} (bound {bound:E3})");
        }
    }
}
