using FastInfer.Kernels;
using FastInfer.Lpu.Execution;
using FastInfer.Lpu.Hardware;
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
        // One probe before each of the three runs asked for; the prediction is the median of the simulator's decode
        // rates for the device's layout on each probed spec, in the middle of the measured span.
        Assert.Equal(3, run.ProbedPredictions.Count);
        Assert.Equal(run.ProbedPredictions.Order().ElementAt(1), run.PredictedTokensPerSecond);
        Assert.Equal(LpuSimulator.Run(run.PredictionProgram, 6).TokensPerSecond, run.PredictedTokensPerSecond);
        Assert.Equal((run.Program.Stages.Count, run.Program.StageWidth, run.Program.ChipsUsed),
            (run.PredictionProgram.Stages.Count, run.PredictionProgram.StageWidth, run.PredictionProgram.ChipsUsed));
        Assert.Equal(run.Program.Tiles, run.PredictionProgram.Tiles);
        Assert.Equal(run.PredictionProgram.Spec.WeightStreamBytesPerSecond, run.StreamBytesPerSecondPerChip);
        // Three runs at least; more only while the undisturbed tokens did not fill three runs, and never more than
        // MaxRunsPerRepeat times as many.
        int runs = run.MeasuredTokensPerSecond.Count;
        Assert.InRange(runs, 3, 3 * DeviceBenchmark.MaxRunsPerRepeat);
        Assert.Equal(runs, run.FastestDecileTokensPerSecond.Count);
        Assert.Equal(runs * 12, run.MeasuredTokens.Count);
        if (runs > 3)
            Assert.True(DeviceBenchmark.Undisturbed(run.MeasuredTokens.Take((runs - 1) * 12).ToArray()) < 3 * 12);
        for (int i = 0; i < run.MeasuredTokens.Count; i++)
        {
            var token = run.MeasuredTokens[i];
            Assert.Equal((i / 12, i % 12), (token.Run, token.Position));
            Assert.True(token.Seconds > 0 && token.MethodsCompiled >= 0);
        }
        // The device's rate is the probes' rule applied to the tokens: the undisturbed ones in runs of 12.
        var windows = run.MeasuredTokens.Select(t => new ProbeWindow(1, t.Seconds, t.Disturbed)).ToList();
        Assert.Equal(ProbeTimer.UndisturbedRate(windows, 12), run.MeasuredRate);
        Assert.Equal(run.MeasuredTokens.Count(t => t.Disturbed), run.DroppedTokens);
        for (int r = 0; r < runs; r++)
        {
            Assert.True(run.MeasuredTokensPerSecond[r] > 0 && double.IsFinite(run.MeasuredTokensPerSecond[r]));
            // The fastest tenth of a run's tokens is never slower than the run as a whole.
            Assert.True(run.FastestDecileTokensPerSecond[r] >= run.MeasuredTokensPerSecond[r]);
        }
        // The fastest token of all runs is at least as fast as any run's fastest tenth.
        Assert.True(run.FastestTokenPerSecond >= run.FastestDecileTokensPerSecond.Max());
        Assert.Contains(run.MedianMeasured, run.MeasuredTokensPerSecond);
        Assert.Contains(run.MedianFastestDecile, run.FastestDecileTokensPerSecond);
        Assert.Equal(run.PredictedTokensPerSecond / run.MeasuredRate, run.Ratio);
        Assert.Equal(run.PredictedTokensPerSecond / run.MedianMeasured, run.WallRatio);
    }

    [Fact]
    public void The_calibration_row_has_a_value_under_every_column()
    {
        var run = DeviceBenchmark.Run(DeviceTestModels.PathOf(Shape, GgmlType.F32), chips: 1, tokens: 4, repeats: 2, warmupLimit: ShortWarmup);
        string row = LpuReport.CalibrationRow(run);
        Assert.StartsWith(run.Model, row, StringComparison.Ordinal);
        Assert.Contains(" 1x1 ", row, StringComparison.Ordinal);
        // model, layout, probe, barrier, host, predicted, measured, its ratio, dropped, core/JIT, wall, its ratio, fastest
        // tenth, fastest token, then one wall rate per run (and maybe "(JIT busy)") under the last column
        int columns = LpuReport.CalibrationHeader.Split("  ", StringSplitOptions.RemoveEmptyEntries).Length;
        var values = row.Replace(" (JIT busy)", "", StringComparison.Ordinal).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(15, columns);
        Assert.Equal($"{run.DroppedTokens}/{run.MeasuredTokens.Count}", values[8]);
        int offCore = run.MeasuredTokens.Count(t => t.Disturbed && t.OffCore);
        Assert.Equal($"{offCore}/{run.DroppedTokens - offCore}", values[9]);
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
