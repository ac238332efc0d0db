using BenchmarkDotNet.Configs;

namespace FastInfer.Bench.Columns;

/// <summary>The default configuration plus the GB/s column.</summary>
public sealed class GigabytesPerSecondConfig : ManualConfig
{
    public GigabytesPerSecondConfig() => AddColumn(new GigabytesPerSecondColumn());
}
