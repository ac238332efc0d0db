using TorchSharp;
using static TorchSharp.torch;

namespace FastInfer.TorchOracle.Tests;

/// <summary>Between float arrays and TorchSharp tensors, and a seeded source of random inputs.</summary>
internal static class TorchConvert
{
    public static Tensor FromArray(float[] data, params long[] shape) => tensor(data, shape);

    public static float[] ToArray(Tensor t) => t.contiguous().data<float>().ToArray();

    public static float[] Random(int count, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return values;
    }

    /// <summary>|actual − expected| ≤ absolute + relative·|expected| for every element.</summary>
    public static void AssertClose(float[] expected, float[] actual, double relative, double absolute, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs((double)actual[i] - expected[i]);
            if (!(error <= absolute + relative * Math.Abs(expected[i])))
                Assert.Fail($"{what}[{i}]: torch {expected[i]:R}, FastInfer {actual[i]:R} (error {error:E3})");
        }
    }
}
