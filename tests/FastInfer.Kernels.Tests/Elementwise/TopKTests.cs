using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops.Elementwise;
using FastInfer.Kernels.Tests.Support;

namespace FastInfer.Kernels.Tests.Elementwise;

public class TopKTests
{
    private static (int[] Indices, float[] Values) Reference(float[] x, int k)
    {
        var order = Enumerable.Range(0, x.Length).Where(i => !float.IsNaN(x[i]))
            .OrderByDescending(i => x[i]).ThenBy(i => i).Take(k).ToArray();
        return (order, order.Select(i => x[i]).ToArray());
    }

    public static TheoryData<IsaPath, int, int> Cases
    {
        get
        {
            var data = new TheoryData<IsaPath, int, int>();
            foreach (var path in IsaPaths.Paths)
                foreach (var (n, k) in new[] { (1, 1), (17, 3), (65, 64), (65, 65), (100, 200), (4099, 40), (32000, 50), (127, 1) })
                    data.Add(path, n, k);
            return data;
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void Selects_the_k_largest_sorted_with_lower_index_first_on_ties(IsaPath path, int n, int k)
    {
        // Quantised values make ties common.
        var x = RandomData.Uniform(n, n + k, -8f, 8f).Select(v => MathF.Round(v * 4) / 4).ToArray();
        var (expectedIndices, expectedValues) = Reference(x, k);
        var indices = new int[k];
        var values = new float[k];
        int count = Selection.TopK(x, k, indices, values, path);
        Assert.Equal(expectedIndices.Length, count);
        Assert.Equal(expectedIndices, indices[..count]);
        Assert.Equal(expectedValues, values[..count]);
    }

    [Theory, MemberData(nameof(IsaPaths.All), MemberType = typeof(IsaPaths))]
    public void Skips_NaN_and_checks_its_arguments(IsaPath path)
    {
        float[] x = [float.NaN, 3f, float.NaN, 1f, 2f];
        var indices = new int[5];
        var values = new float[5];
        Assert.Equal(3, Selection.TopK(x, 5, indices, values, path));
        Assert.Equal([1, 4, 3], indices[..3]);
        Assert.Equal(0, Selection.TopK(x, 0, indices, values, path));
        Assert.Throws<ArgumentOutOfRangeException>(() => Selection.TopK(x, -1, indices, values, path));
        Assert.Throws<ArgumentException>(() => Selection.TopK(x, 4, new int[3], values, path));
    }
}
