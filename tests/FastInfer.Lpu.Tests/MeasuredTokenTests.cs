using FastInfer.Lpu.Execution;
using FastInfer.Lpu.Hardware;

namespace FastInfer.Lpu.Tests;

/// <summary>
/// The measured side of <c>lpu calibrate</c> leaves tokens out by the rule the probes leave windows out by, and takes
/// its rate with the probes' statistic. No timings are asserted: the tokens here carry their own seconds.
/// </summary>
public class MeasuredTokenTests
{
    [Fact]
    public void A_token_is_disturbed_by_the_probes_rule()
    {
        Assert.False(new MeasuredToken(0, 0, 200e-6, 20e-6, 0).Disturbed); // a tenth exactly: a kernel thread's turn
        var preempted = new MeasuredToken(0, 1, 200e-6, 21e-6, 0);
        Assert.True(preempted.Disturbed);
        Assert.True(preempted.OffCore);
        var compiled = new MeasuredToken(0, 2, 200e-6, 0, 1);
        Assert.True(compiled.Disturbed);
        Assert.False(compiled.OffCore);
        // No thread clock (not Linux): only the JIT sign is left.
        Assert.False(new MeasuredToken(0, 3, 200e-6, double.NaN, 0).Disturbed);
        Assert.Equal(2, DeviceBenchmark.Undisturbed([new(0, 0, 1, 0, 0), preempted, compiled, new(0, 3, 1, 0, 0)]));
    }

    [Fact]
    public void The_undisturbed_rate_leaves_disturbed_windows_out_and_cuts_the_rest_into_runs()
    {
        // Runs of 2 undisturbed tokens: 0.1 s each, then a run at 0.2 s each, then 0.1 again; the disturbed tokens
        // (1 s each) between them neither count nor break a run.
        var windows = new List<ProbeWindow>
        {
            new(1, 0.1), new(1, 1, Disturbed: true), new(1, 0.1),
            new(1, 0.2), new(1, 0.2), new(1, 1, Disturbed: true),
            new(1, 0.1), new(1, 0.1),
        };
        Assert.Equal(10, ProbeTimer.UndisturbedRate(windows, windowsPerRun: 2), 12);
        // With the disturbed tokens counted the same cut gives runs of 1.1, 1.2 and 1.4 s over 2–3 tokens.
        var all = windows.Select(w => (w.Units, w.Seconds)).ToList();
        Assert.Equal(ProbeTimer.MedianRunRate(all, ProbeTimer.RunsOf(all.Count, 2)), ProbeTimer.UndisturbedRate(windows.Select(w => w with { Disturbed = false }).ToList(), 2));
    }

    [Fact]
    public void When_too_few_windows_were_undisturbed_every_window_counts()
    {
        var windows = new List<ProbeWindow> { new(1, 0.5), new(1, 0.5, Disturbed: true), new(1, 0.5, Disturbed: true), new(1, 0.5) };
        // Two undisturbed windows cannot make three runs: all four count, in runs of 1, 1 and 2 windows.
        Assert.Equal(2, ProbeTimer.UndisturbedRate(windows, windowsPerRun: 64), 12);
        Assert.Throws<ArgumentException>(() => ProbeTimer.UndisturbedRate([], 64));
        Assert.Throws<ArgumentNullException>(() => ProbeTimer.UndisturbedRate(null!, 64));
    }

    [SkippableFact]
    public void A_worker_chip_that_sleeps_through_a_token_is_seen_off_its_core()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the thread CPU clock is read on Linux only");
        var clock = new ChipClock(2);
        using var team = new ChipTeam(2, chip =>
        {
            if (chip == 1)
                Thread.Sleep(30);
        }, new ChipFault()) { Clock = clock };
        team.RunToken();
        // A sleeping thread spends no CPU time: at least most of the 30 ms count as off its core.
        Assert.True(clock.WorkersOffCoreSeconds() > 0.02, $"{clock.WorkersOffCoreSeconds()} s off core");
        // Without a clock the workers read none and the last figures stay as they were.
        team.Clock = null;
        team.RunToken();
        Assert.True(clock.WorkersOffCoreSeconds() > 0.02);
    }

    [Fact]
    public void A_one_chip_device_has_no_workers_to_be_off_their_cores()
    {
        Assert.Equal(0, new ChipClock(1).WorkersOffCoreSeconds());
    }
}
