using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using FastInfer.Kernels;
using FastInfer.Kernels.Ops;

namespace FastInfer.Bench.Kernels;

/// <summary>Prefill products: 512 tokens through a 4096×4096 weight: arithmetic bound.</summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class MatMulBenchmarks : WeightBenchmark
{
    public const int Rows = 4096, Columns = 4096;

    [Params(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0,
        GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K)]
    public override GgmlType Type { get; set; }

    [Params(512)]
    public int Tokens { get; set; }

    [GlobalSetup]
    public void Setup() => Create(Rows, Columns, Tokens);

    [Benchmark]
    public void Multiply() => MatMul.Multiply(Matrix, X, Y, Tokens, Pool);

    private sealed class ThroughputConfig : ManualConfig
    {
        public ThroughputConfig()
        {
            AddColumn(new ThroughputColumn("GOP/s", "2 x multiply-adds per second (1e9): GFLOP/s for float weights, int8 GOP/s otherwise",
                c => 2.0 * Rows * Columns * ThroughputColumn.Parameter<int>(c, nameof(Tokens))));
        }
    }
}
