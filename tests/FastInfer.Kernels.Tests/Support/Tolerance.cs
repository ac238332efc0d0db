namespace FastInfer.Kernels.Tests.Support;

/// <summary>Element-wise comparison against a double reference: |actual − expected| ≤ absolute + relative·|expected|.</summary>
public static class Tolerance
{
    public static void Close(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double relative, double absolute, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Close(expected[i], actual[i], relative, absolute, $"{what}[{i}]");
    }

    public static void Close(double expected, float actual, double relative, double absolute, string what)
    {
        double error = Math.Abs(actual - expected);
        double bound = absolute + relative * Math.Abs(expected);
        if (!(error <= bound))
            Assert.Fail($"{what}: expected {expected:R}, got {actual:R} (error {error:E3} > {bound:E3})");
    }
}
