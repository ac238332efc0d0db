using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace FastInfer.Bench.Kernels;

/// <summary>
/// A rate column computed from the measured mean: work per call (bytes read, or multiply-adds ×2) divided by time.
/// <paramref name="work"/> maps a benchmark case (its parameters) to the work one call does.
/// </summary>
public sealed class ThroughputColumn(string name, string legend, Func<BenchmarkCase, double> work) : IColumn
{
    public string Id => $"{nameof(ThroughputColumn)}.{name}";
    public string ColumnName => name;
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => legend;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics is not { } statistics || statistics.Mean <= 0)
            return "NA";
        return (work(benchmarkCase) / statistics.Mean).ToString("F1"); // work per ns = G-units per second
    }

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;

    /// <summary>The value of parameter <paramref name="name"/> of a case.</summary>
    public static T Parameter<T>(BenchmarkCase benchmarkCase, string name) => (T)benchmarkCase.Parameters[name];
}
