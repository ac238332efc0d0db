namespace FastInfer.Kernels.Tests.Support;

/// <summary>Seeded random inputs, so failures repeat.</summary>
public static class RandomData
{
    public static float[] Uniform(int count, int seed, float low = -1f, float high = 1f)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = low + (float)random.NextDouble() * (high - low);
        return values;
    }
}
