using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Tests.Support;

namespace FastInfer.Kernels.Tests.Elementwise;

public class NormsAndActivationsTests
{
    [Theory, MemberData(nameof(IsaPaths.WithLengths), MemberType = typeof(IsaPaths))]
    public void RmsNorm_matches_a_double_reference(IsaPath path, int n)
    {
        var x = RandomData.Uniform(n, 11, -3f, 3f);
        var w = RandomData.Uniform(n, 12, 0.5f, 1.5f);
        double rms = Math.Sqrt(x.Sum(v => (double)v * v) / n + 1e-5);
        var expected = x.Select((v, i) => v / rms * w[i]).ToArray();
        var y = new float[n];
        Norms.RmsNorm(x, w, 1e-5f, y, path);
        Tolerance.Close(expected, y, relative: 2e-6, absolute: 1e-7, "rmsnorm");
        // In place gives the same bits.
        Norms.RmsNorm(x, w, 1e-5f, x, path);
        Assert.Equal(y, x);
    }

    [Fact]
    public void RmsNorm_rejects_mismatched_lengths()
        => Assert.Throws<ArgumentException>(() => Norms.RmsNorm(new float[4], new float[3], 1e-5f, new float[4]));

    [Theory, MemberData(nameof(IsaPaths.WithLengths), MemberType = typeof(IsaPaths))]
    public void SiluMul_matches_a_double_reference(IsaPath path, int n)
    {
        var gate = RandomData.Uniform(n, 13, -30f, 30f);
        var up = RandomData.Uniform(n, 14, -2f, 2f);
        var expected = gate.Select((g, i) => g / (1 + Math.Exp(-g)) * up[i]).ToArray();
        Activations.SiluMul(gate, up, path);
        Tolerance.Close(expected, gate, relative: 1e-6, absolute: 1e-30, "silu·up");
    }

    [Theory, MemberData(nameof(IsaPaths.All), MemberType = typeof(IsaPaths))]
    public void SiluMul_is_finite_for_large_negative_and_positive_gates(IsaPath path)
    {
        float[] gate = [-200f, -90f, 200f, 0f];
        float[] up = [1f, 1f, 1f, 1f];
        Activations.SiluMul(gate, up, path);
        Assert.Equal([-0f, -0f, 200f, 0f], gate);
    }
}
