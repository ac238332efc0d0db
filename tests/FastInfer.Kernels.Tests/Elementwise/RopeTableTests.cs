using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Tests.Support;

namespace FastInfer.Kernels.Tests.Elementwise;

public class RopeTableTests
{
    private static double[] Reference(float[] heads, int headCount, int headDim, int rotaryDim, int position, double theta, RopeLayout layout)
    {
        var y = heads.Select(v => (double)v).ToArray();
        int pairs = rotaryDim / 2;
        for (int h = 0; h < headCount; h++)
        {
            int b = h * headDim;
            for (int i = 0; i < pairs; i++)
            {
                double angle = position / Math.Pow(theta, 2.0 * i / rotaryDim);
                var (first, second) = layout == RopeLayout.Interleaved ? (b + 2 * i, b + 2 * i + 1) : (b + i, b + i + pairs);
                double x0 = heads[first], x1 = heads[second];
                y[first] = x0 * Math.Cos(angle) - x1 * Math.Sin(angle);
                y[second] = x0 * Math.Sin(angle) + x1 * Math.Cos(angle);
            }
        }
        return y;
    }

    public static TheoryData<IsaPath, RopeLayout, int, int> Cases
    {
        get
        {
            var data = new TheoryData<IsaPath, RopeLayout, int, int>();
            foreach (var path in IsaPaths.Paths)
                foreach (var layout in Enum.GetValues<RopeLayout>())
                    foreach (var (headDim, rotaryDim) in new[] { (2, 2), (6, 6), (34, 34), (64, 64), (128, 128), (96, 32), (80, 78) })
                        data.Add(path, layout, headDim, rotaryDim);
            return data;
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void Rotates_like_a_double_reference(IsaPath path, RopeLayout layout, int headDim, int rotaryDim)
    {
        const int heads = 3, position = 777;
        var table = new RopeTable(headDim, rotaryDim, 1024, 10000f, layout);
        var x = RandomData.Uniform(heads * headDim, headDim + rotaryDim);
        var expected = Reference(x, heads, headDim, rotaryDim, position, 10000.0, layout);
        var scalar = (float[])x.Clone();
        table.Apply(x, heads, position, path);
        Tolerance.Close(expected, x, relative: 1e-6, absolute: 1e-6, "rope");
        table.Apply(scalar, heads, position, IsaPath.Scalar);
        Assert.Equal(scalar, x);
    }

    [Fact]
    public void Rejects_bad_shapes_and_positions()
    {
        Assert.Throws<ArgumentException>(() => new RopeTable(8, 7, 16, 10000f, RopeLayout.Interleaved));
        Assert.Throws<ArgumentException>(() => new RopeTable(8, 8, 16, 0f, RopeLayout.Interleaved));
        var table = new RopeTable(8, 8, 16, 10000f, RopeLayout.HalfSplit);
        Assert.Throws<ArgumentOutOfRangeException>(() => table.Apply(new float[8], 1, 16));
        Assert.Throws<ArgumentException>(() => table.Apply(new float[9], 1, 3));
    }
}
