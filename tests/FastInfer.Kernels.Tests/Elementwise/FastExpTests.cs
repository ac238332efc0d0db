using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops.Elementwise;
using FastInfer.Kernels.Tests.Support;

namespace FastInfer.Kernels.Tests.Elementwise;

public class FastExpTests
{
    private static float[] Inputs()
    {
        var x = RandomData.Uniform(20_000, seed: 7, low: -87f, high: 88.7f);
        float[] specials = [0f, -0f, 1f, -1f, 1e-8f, -1e-8f, 0.34657359f, -0.34657359f, 88.72f, -87.33f, 88.3762626647949f, 10f, -10f];
        return [.. specials, .. x];
    }

    [Theory, MemberData(nameof(IsaPaths.All), MemberType = typeof(IsaPaths))]
    public void Within_3e7_relative_of_the_exact_exponential(IsaPath path)
    {
        var x = Inputs();
        var y = new float[x.Length];
        ElementwiseLoop.Unary<ExpOperator>(x, y, path);
        for (int i = 0; i < x.Length; i++)
            Tolerance.Close(Math.Exp(x[i]), y[i], relative: 3e-7, absolute: 0, $"exp({x[i]:R})");
    }

    [Theory, MemberData(nameof(IsaPaths.All), MemberType = typeof(IsaPaths))]
    public void Every_path_gives_the_scalar_bits(IsaPath path)
    {
        var x = Inputs();
        var y = new float[x.Length];
        ElementwiseLoop.Unary<ExpOperator>(x, y, path);
        for (int i = 0; i < x.Length; i++)
            Assert.Equal(BitConverter.SingleToInt32Bits(FastExp.Exp(x[i])), BitConverter.SingleToInt32Bits(y[i]));
    }

    [Theory, MemberData(nameof(IsaPaths.All), MemberType = typeof(IsaPaths))]
    public void Saturates_to_infinity_and_zero_and_keeps_NaN(IsaPath path)
    {
        float[] x = [100f, 88.73f, float.PositiveInfinity, -88f, -1000f, float.NegativeInfinity, float.NaN, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f];
        var y = new float[x.Length];
        ElementwiseLoop.Unary<ExpOperator>(x, y, path);
        Assert.Equal(float.PositiveInfinity, y[0]);
        Assert.Equal(float.PositiveInfinity, y[1]);
        Assert.Equal(float.PositiveInfinity, y[2]);
        Assert.Equal(0f, y[3]);
        Assert.Equal(0f, y[4]);
        Assert.Equal(0f, y[5]);
        Assert.True(float.IsNaN(y[6]));
        Assert.Equal(1f, y[7]);
    }
}
