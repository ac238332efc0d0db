using FastInfer.Bench.Compare;
using FastInfer.Kernels.Isa;

namespace FastInfer.Bench.Tests;

/// <summary>Tests that change the process's kernel path run alone, so no other test sees it changed.</summary>
[CollectionDefinition(nameof(KernelPathCollection), DisableParallelization = true)]
public sealed class KernelPathCollection;

[Collection(nameof(KernelPathCollection))]
public class CompareCommandTests
{
    [SkippableFact]
    public void RefusesToTimeAnEmulatedPath()
    {
        Skip.If(KernelIsa.Hardware >= IsaPath.Avx512, "the AVX-512 path runs on this CPU's own instructions: nothing is emulated");
        var stderr = new StringWriter();
        var old = Console.Error;
        try
        {
            KernelIsa.Select(KernelIsa.EmulatedAvx512Name);
            Console.SetError(stderr);
            Assert.Equal(2, CompareCommand.Run(["--quick", "--no-node"]));
            Assert.StartsWith("the Avx512 kernel path is emulated", stderr.ToString());
        }
        finally
        {
            Console.SetError(old);
            KernelIsa.Select(KernelIsa.Hardware);
        }
    }
}
