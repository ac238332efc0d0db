using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace FastInfer.Bench.Columns;

/// <summary>
/// GB/s = bytes per call ÷ mean time, where the benchmark class (an <see cref="IBytesPerCall"/>) states the
/// bytes for the case's parameter values. Add with <c>[Config(typeof(GigabytesPerSecondConfig))]</c>.
/// </summary>
public sealed class GigabytesPerSecondColumn : IColumn
{
    public string Id => nameof(GigabytesPerSecondColumn);
    public string ColumnName => "GB/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Bytes moved per call divided by the mean time (decimal GB)";

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var statistics = summary[benchmarkCase]?.ResultStatistics;
        if (statistics == null || Activator.CreateInstance(benchmarkCase.Descriptor.Type) is not IBytesPerCall bytes)
            return "-";
        // Give the fresh instance this case's parameter values, then ask it for the bytes.
        foreach (var parameter in benchmarkCase.Parameters.Items)
            benchmarkCase.Descriptor.Type.GetProperty(parameter.Name)?.SetValue(bytes, parameter.Value);
        double gigabytes = bytes.BytesPerCall(benchmarkCase.Descriptor.WorkloadMethod.Name) / 1e9;
        return (gigabytes / (statistics.Mean * 1e-9)).ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
    }
}
