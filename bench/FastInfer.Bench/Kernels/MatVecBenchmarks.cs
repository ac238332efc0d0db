using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using FastInfer.Kernels;
using FastInfer.Kernels.Ops;

namespace FastInfer.Bench.Kernels;

/// <summary>Decode matrix-vector products on a Llama-7B FFN-sized matrix (larger than the L3): memory-bandwidth bound.</summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class MatVecBenchmarks : WeightBenchmark
{
    public const int Rows = 11008, Columns = 4096;

    [Params(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0,
        GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K)]
    public override GgmlType Type { get; set; }

    [GlobalSetup]
    public void Setup() => Create(Rows, Columns, tokens: 1);

    [Benchmark]
    public void Multiply() => MatVec.Multiply(Matrix, X, Y, Pool);

    private sealed class ThroughputConfig : ManualConfig
    {
        public ThroughputConfig()
        {
            AddColumn(new ThroughputColumn("GB/s", "weight bytes read per second (1e9)",
                c => GgmlTypeTraits.RowBytes(ThroughputColumn.Parameter<GgmlType>(c, nameof(Type)), Columns) * (double)Rows));
            AddColumn(new ThroughputColumn("GOP/s", "2 x multiply-adds per second (1e9)", _ => 2.0 * Rows * Columns));
        }
    }
}
