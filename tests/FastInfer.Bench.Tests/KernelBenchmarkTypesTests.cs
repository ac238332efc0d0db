using System.Reflection;
using BenchmarkDotNet.Attributes;
using FastInfer.Bench.Kernels;
using FastInfer.Kernels;

namespace FastInfer.Bench.Tests;

public class KernelBenchmarkTypesTests
{
    /// <summary>The BenchmarkDotNet matrix classes take every weight type the kernels compute with, and no other.</summary>
    [Theory]
    [InlineData(typeof(MatVecBenchmarks))]
    [InlineData(typeof(MatMulBenchmarks))]
    public void Every_weight_type_the_kernels_compute_with_is_benchmarked(Type benchmark)
    {
        var parameter = benchmark.GetProperty(nameof(WeightBenchmark.Type))!.GetCustomAttribute<ParamsAttribute>()!;
        var benchmarked = parameter.Values.Cast<GgmlType>().Order().ToArray();
        var supported = Enum.GetValues<GgmlType>().Where(GgmlTypeTraits.IsSupportedWeight).Order().ToArray();
        Assert.Equal(supported, benchmarked);
    }
}
