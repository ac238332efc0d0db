using FastInfer.Kernels.Isa;

namespace FastInfer.Cli.Tests;

/// <summary>bench-kernels rejects bad budgets before measuring anything (a full run takes most of a minute, so the
/// measuring itself is covered by the Kernels tests of its parts).</summary>
public class BenchKernelsCommandTests
{
    [Theory]
    [InlineData("--threads", "0", "--threads 0 must be between 1 and 1024")]
    [InlineData("--threads", "2000", "--threads 2000 must be between 1 and 1024")]
    [InlineData("--seconds", "0", "--seconds 0 must be in (0, 60]")]
    [InlineData("--seconds", "61", "--seconds 61 must be in (0, 60]")]
    public void RejectsOutOfRangeOptionsWithExitCodeTwo(string option, string value, string message)
    {
        var (code, stdout, stderr) = CliRunner.Run("bench-kernels", option, value, "--json");
        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
        Assert.Equal("", stdout);
    }

    [SkippableFact]
    public void RefusesToTimeAnEmulatedPath()
    {
        Skip.If(KernelIsa.Hardware >= IsaPath.Avx512, "the AVX-512 path runs on this CPU's own instructions: nothing is emulated");
        try
        {
            KernelIsa.Select(KernelIsa.EmulatedAvx512Name);
            var (code, stdout, stderr) = CliRunner.Run("bench-kernels", "--json");
            Assert.Equal(2, code);
            Assert.Equal("", stdout);
            Assert.StartsWith("error: the Avx512 path is emulated", stderr);
        }
        finally
        {
            KernelIsa.Select(KernelIsa.Hardware);
        }
    }
}
