using FastInfer.Kernels;
using FastInfer.Kernels.Isa;

namespace FastInfer.Kernels.Tests.Packed;

/// <summary>The packable types, paths and shapes the packed-kernel tests run over.</summary>
internal static class PackedCases
{
    public static readonly GgmlType[] Types = [GgmlType.Q4_0, GgmlType.Q8_0];

    /// <summary>Rows below, at and past a group of eight; one block, a few, and many.</summary>
    public static readonly (int Rows, int Columns)[] Shapes = [(1, 32), (5, 96), (8, 32), (17, 160), (19, 1024), (64, 256)];

    public static TheoryData<GgmlType, IsaPath> TypesAndPaths()
    {
        var data = new TheoryData<GgmlType, IsaPath>();
        foreach (var type in Types)
            foreach (var path in KernelIsa.Available)
                data.Add(type, path);
        return data;
    }

    public static TheoryData<GgmlType> AllTypes() => new(Types);

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
