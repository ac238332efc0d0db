using FastInfer.Kernels;
using FastInfer.Kernels.Benchmarking;

namespace FastInfer.Kernels.Tests.MatMul;

public class MatMulThroughputTests
{
    [Fact]
    public void MeasuresRatesConsistentWithTheWorkDone()
    {
        var r = MatMulThroughput.MatVec(GgmlType.Q4_0, 64, 256, threads: 1, seconds: 0.01);
        Assert.True(r.SecondsPerCall > 0 && double.IsFinite(r.GigabytesPerSecond));
        double bytes = GgmlTypeTraits.RowBytes(GgmlType.Q4_0, 256) * 64;
        Assert.Equal(bytes / r.SecondsPerCall / 1e9, r.GigabytesPerSecond, 6);
        Assert.Equal(2.0 * 64 * 256 / r.SecondsPerCall / 1e9, r.GigaOpsPerSecond, 6);

        var m = MatMulThroughput.MatMul(GgmlType.F32, 40, 64, tokens: 9, threads: 2, seconds: 0.01);
        Assert.Equal(2.0 * 40 * 64 * 9 / m.SecondsPerCall / 1e9, m.GigaOpsPerSecond, 6);
    }

    [Fact]
    public void ReadBandwidthIsAPositiveRate()
    {
        double gbps = MatMulThroughput.ReadBandwidth(threads: 2, seconds: 0.01, megabytes: 16);
        Assert.True(gbps > 0.1 && double.IsFinite(gbps), $"{gbps} GB/s");
    }

    [Fact]
    public void RejectsTypesItCannotGenerate()
        => Assert.Throws<NotSupportedException>(() => MatMulThroughput.MatVec(GgmlType.IQ2_XS, 8, 256, 1, 0.01));
}
