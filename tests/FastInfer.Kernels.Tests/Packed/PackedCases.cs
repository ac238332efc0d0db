using FastInfer.Kernels.Tests.Support;
using FastInfer.Kernels;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Tests.Packed;

/// <summary>The packable types, paths and shapes the packed-kernel tests run over.</summary>
internal static unsafe class PackedCases
{
    /// <summary>The types with packed decode and prefill kernels.</summary>
    public static readonly GgmlType[] Types = [GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0];

    /// <summary>The types with a packed decode kernel (packed K-quants prefill from the ggml rows).</summary>
    public static readonly GgmlType[] DecodeTypes = [.. Types, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K];

    /// <summary><see cref="DecodeTypes"/> as theory data.</summary>
    public static TheoryData<GgmlType> DecodeTypeData
    {
        get
        {
            var data = new TheoryData<GgmlType>();
            foreach (var type in DecodeTypes)
                data.Add(type);
            return data;
        }
    }

    /// <summary>Rows below, at and past a group of eight; one block, a few, and many (blocks of the type's size).</summary>
    public static (int Rows, int Columns)[] Shapes(GgmlType type)
    {
        int scale = GgmlTypeTraits.BlockSize(type) / 32;
        return [(1, 32 * scale), (5, 96 * scale), (8, 32 * scale), (17, 160 * scale), (19, 1024 * scale), (64, 256 * scale)];
    }

    public static TheoryData<GgmlType, IsaPath> TypesAndPaths() => OnEveryPath(Types);

    public static TheoryData<GgmlType, IsaPath> DecodeTypesAndPaths() => OnEveryPath(DecodeTypes);

    public static TheoryData<GgmlType, IsaPath> OnEveryPath(GgmlType[] types)
    {
        var data = new TheoryData<GgmlType, IsaPath>();
        foreach (var type in types)
            foreach (var path in IsaPaths.Paths)
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

    /// <summary>
    /// One token against a packed Q4_0, Q4_1, Q5_0, Q5_1 or Q8_0 matrix group by group (<see cref="PackedDot.Group"/>, the arithmetic
    /// prefill shares) with the step a path with or without VNNI uses: the bits every packed decode kernel must give.
    /// </summary>
    public static float[] GroupByGroup(in WeightMatrix w, ReadOnlySpan<float> x, bool vnni) => (w.Type, vnni) switch
    {
        (GgmlType.Q4_0, true) => GroupByGroup<PackedQ4_0, VnniPackedStep>(w, x),
        (GgmlType.Q4_0, false) => GroupByGroup<PackedQ4_0, MaddubsPackedStep>(w, x),
        (GgmlType.Q4_1, true) => GroupByGroup<PackedWithMinimums<PackedQ4_0>, VnniPackedStep>(w, x),
        (GgmlType.Q4_1, false) => GroupByGroup<PackedWithMinimums<PackedQ4_0>, MaddubsPackedStep>(w, x),
        (GgmlType.Q5_0, true) => GroupByGroup<PackedQ5_0, VnniPackedStep>(w, x),
        (GgmlType.Q5_0, false) => GroupByGroup<PackedQ5_0, MaddubsPackedStep>(w, x),
        (GgmlType.Q5_1, true) => GroupByGroup<PackedWithMinimums<PackedQ5_0>, VnniPackedStep>(w, x),
        (GgmlType.Q5_1, false) => GroupByGroup<PackedWithMinimums<PackedQ5_0>, MaddubsPackedStep>(w, x),
        (GgmlType.Q8_0, true) => GroupByGroup<PackedQ8_0, VnniPackedStep>(w, x),
        (GgmlType.Q8_0, false) => GroupByGroup<PackedQ8_0, SignedMaddubsPackedStep>(w, x),
        _ => throw new ArgumentException($"{w.Type} has no 8-row packed layout"),
    };

    public static float[] GroupByGroup<TFormat, TStep>(in WeightMatrix w, ReadOnlySpan<float> x)
        where TFormat : struct, IPackedFormat where TStep : struct, IPackedStep
    {
        var y = new float[w.Rows];
        int blocks = w.Columns / PackedLayout.BlockColumns;
        fixed (float* px = x)
        fixed (float* py = y)
        {
            var a = PackedActivations.Prepare(px, 1, blocks, TStep.UsesZeroPoint ? TFormat.ZeroPoint : 0, TFormat.HasMinimum, ComputePool.SingleThreaded);
            for (int g = 0; g < w.Packed.GroupCount(w.Rows); g++)
            {
                var lanes = PackedDot.Group<TFormat, TStep>((byte*)w.Packed.FirstGroup + g * w.Packed.GroupBytes, blocks, a.Quants(0), a.Scales(0), a.Corrections(0), a.MinimumScales(0));
                PackedDot.Store(lanes, py, g * PackedLayout.GroupRows - w.Packed.RowOffset, w.Rows);
            }
        }
        return y;
    }
}
