using FastInfer.Kernels;
using FastInfer.Lpu.Execution;
using FastInfer.Lpu.Reporting;
using FastInfer.Lpu.Simulation;

namespace FastInfer.Lpu.Tests;

/// <summary>The machinery behind <c>fastinfer lpu calibrate</c>; its timings are checked by the command, not here.</summary>
public class DeviceBenchmarkTests
{
    private const string Shape = "custom:dim=64,ffn=128,layers=2,heads=4,kv=2,vocab=320,ctx=32";
    private static readonly TimeSpan ShortWarmup = TimeSpan.FromMilliseconds(50);

    [Fact]
    public void Calibrate_predicts_from_the_device_program_and_measures_every_repeat()
    {
        string path = DeviceTestModels.PathOf(Shape, GgmlType.Q8_0);
        var run = DeviceBenchmark.Run(path, chips: 2, tokens: 12, repeats: 3, warmupLimit: ShortWarmup);

        Assert.Equal(Path.GetFileNameWithoutExtension(path), run.Model);
        Assert.InRange(run.Program.ChipsUsed, 1, 2); // the compiler may keep a model this small on one chip
        Assert.Equal(12, run.Tokens);
        // The prediction is the simulator's decode rate for this very program in the middle of the measured span.
        Assert.Equal(LpuSimulator.Run(run.Program, 6).TokensPerSecond, run.PredictedTokensPerSecond);
        Assert.Equal(run.Program.Spec.WeightStreamBytesPerSecond, run.StreamBytesPerSecondPerChip);
        Assert.Equal(3, run.MeasuredTokensPerSecond.Count);
        Assert.Equal(3, run.FastestDecileTokensPerSecond.Count);
        for (int r = 0; r < 3; r++)
        {
            Assert.True(run.MeasuredTokensPerSecond[r] > 0 && double.IsFinite(run.MeasuredTokensPerSecond[r]));
            // The fastest tenth of a run's tokens is never slower than the run as a whole.
            Assert.True(run.FastestDecileTokensPerSecond[r] >= run.MeasuredTokensPerSecond[r]);
        }
        // The fastest token of all runs is at least as fast as any run's fastest tenth.
        Assert.True(run.FastestTokenPerSecond >= run.FastestDecileTokensPerSecond.Max());
        Assert.Contains(run.MedianMeasured, run.MeasuredTokensPerSecond);
        Assert.Contains(run.MedianFastestDecile, run.FastestDecileTokensPerSecond);
        Assert.Equal(run.PredictedTokensPerSecond / run.MedianFastestDecile, run.Ratio);
        Assert.Equal(run.PredictedTokensPerSecond / run.MedianMeasured, run.WallRatio);
    }

    [Fact]
    public void The_calibration_row_has_a_value_under_every_column()
    {
        var run = DeviceBenchmark.Run(DeviceTestModels.PathOf(Shape, GgmlType.F32), chips: 1, tokens: 4, repeats: 2, warmupLimit: ShortWarmup);
        string row = LpuReport.CalibrationRow(run);
        Assert.StartsWith(run.Model, row, StringComparison.Ordinal);
        Assert.Contains(" 1x1 ", row, StringComparison.Ordinal);
        // model, layout, probe, barrier, host, predicted, fastest tenth, wall, two ratios, fastest token, then one wall rate per run
        // (and maybe "(JIT busy)") under the last column
        int columns = LpuReport.CalibrationHeader.Split("  ", StringSplitOptions.RemoveEmptyEntries).Length;
        var values = row.Replace(" (JIT busy)", "", StringComparison.Ordinal).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(12, columns);
        Assert.Equal(columns - 1 + run.MeasuredTokensPerSecond.Count, values.Length);
        Assert.Equal(run.WarmedUp, !row.EndsWith("(JIT busy)", StringComparison.Ordinal));
    }

    [Fact]
    public void Bad_calibration_arguments_are_refused_with_what_is_wrong()
    {
        string path = DeviceTestModels.PathOf(Shape, GgmlType.F32);
        Assert.Contains("at least 2 tokens", Assert.Throws<ArgumentOutOfRangeException>(() => DeviceBenchmark.Run(path, 1, 1, 1)).Message);
        Assert.Contains("repeat at least once", Assert.Throws<ArgumentOutOfRangeException>(() => DeviceBenchmark.Run(path, 1, 4, 0)).Message);
        Assert.Contains("context of 32", Assert.Throws<ArgumentOutOfRangeException>(() => DeviceBenchmark.Run(path, 1, 40, 1)).Message);
    }
}
