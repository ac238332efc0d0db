using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Tests.Support;

namespace FastInfer.Kernels.Tests.Elementwise;

public class VectorOpsTests
{
    [Theory, MemberData(nameof(IsaPaths.WithLengths), MemberType = typeof(IsaPaths))]
    public void Add_matches_scalar_addition(IsaPath path, int n)
    {
        var a = RandomData.Uniform(n, 1);
        var x = RandomData.Uniform(n, 2);
        var expected = a.Select((v, i) => (double)(v + x[i])).ToArray();
        VectorOps.Add(a, x, path);
        Tolerance.Close(expected, a, relative: 0, absolute: 0, "add");
    }

    [Theory, MemberData(nameof(IsaPaths.WithLengths), MemberType = typeof(IsaPaths))]
    public void AddScaled_is_one_fused_multiply_add(IsaPath path, int n)
    {
        var a = RandomData.Uniform(n, 3);
        var x = RandomData.Uniform(n, 4);
        var expected = a.Select((v, i) => (double)MathF.FusedMultiplyAdd(x[i], 0.37f, v)).ToArray();
        VectorOps.AddScaled(a, x, 0.37f, path);
        Tolerance.Close(expected, a, relative: 0, absolute: 0, "axpy");
    }

    [Theory, MemberData(nameof(IsaPaths.WithLengths), MemberType = typeof(IsaPaths))]
    public void Scale_multiplies_each_value(IsaPath path, int n)
    {
        var x = RandomData.Uniform(n, 5);
        var expected = x.Select(v => (double)(v * -2.5f)).ToArray();
        VectorOps.Scale(x, -2.5f, path);
        Tolerance.Close(expected, x, relative: 0, absolute: 0, "scale");
    }

    [Theory, MemberData(nameof(IsaPaths.WithLengths), MemberType = typeof(IsaPaths))]
    public void Softmax_matches_a_double_reference(IsaPath path, int n)
    {
        var x = RandomData.Uniform(n, 6, -20f, 20f);
        double max = x.Max();
        var exps = x.Select(v => Math.Exp(v - max)).ToArray();
        double sum = exps.Sum();
        var expected = exps.Select(e => e / sum).ToArray();
        VectorOps.Softmax(x, path);
        Tolerance.Close(expected, x, relative: 2e-6, absolute: 1e-12, "softmax");
    }

    [Theory, MemberData(nameof(IsaPaths.All), MemberType = typeof(IsaPaths))]
    public void Softmax_gives_masked_logits_zero_weight(IsaPath path)
    {
        float[] x = [1f, float.NegativeInfinity, 2f, float.NegativeInfinity, 3f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f];
        VectorOps.Softmax(x, path);
        Assert.Equal(0f, x[1]);
        Assert.Equal(0f, x[3]);
        Assert.InRange(x.Sum(), 0.99999f, 1.00001f);
    }

    [Theory, MemberData(nameof(IsaPaths.WithLengths), MemberType = typeof(IsaPaths))]
    public void ArgMax_finds_the_first_largest(IsaPath path, int n)
    {
        var x = RandomData.Uniform(n, 8);
        int expected = 0;
        for (int i = 1; i < n; i++)
            if (x[i] > x[expected]) expected = i;
        Assert.Equal(expected, VectorOps.ArgMax(x, path));
        // A tie later in the vector never wins; one earlier does.
        x[n - 1] = x[expected];
        Assert.Equal(expected, VectorOps.ArgMax(x, path));
        x[0] = x[expected];
        Assert.Equal(0, VectorOps.ArgMax(x, path));
    }

    [Theory, MemberData(nameof(IsaPaths.All), MemberType = typeof(IsaPaths))]
    public void ArgMax_skips_NaN_and_rejects_empty_input(IsaPath path)
    {
        float[] x = [float.NaN, 1f, 5f, float.NaN, 5f, 2f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f];
        Assert.Equal(2, VectorOps.ArgMax(x, path));
        Assert.Throws<ArgumentException>(() => VectorOps.ArgMax([], path));
    }
}
