using System.Diagnostics;

namespace FastInfer.Lpu.Hardware;

/// <summary>
/// Times a probe over many windows, with one of two statistics:
/// <list type="bullet">
/// <item><see cref="BestRate(Func{double}, TimeSpan, int)"/>: the best window, the closest to what the hardware does at
/// its best, since other processes preempting the probe only ever make a window slower (the host probes);</item>
/// <item><see cref="SustainedRate"/>: the rate a run of back-to-back windows keeps, as a device run's tok/s (tokens over
/// its wall time) is. The probes the <c>this-cpu</c> device's predictions come from use it: a token pays its slow
/// moments too, so the best window describes a faster machine than the one a run meets.</item>
/// </list>
/// </summary>
internal static class ProbeTimer
{
    /// <summary>Runs <paramref name="window"/> (which returns the units it processed) until <paramref name="budget"/> has
    /// passed and at least <paramref name="minimumWindows"/> windows ran, or, on a machine so loaded that ten budgets
    /// pass first, as soon as one ran; returns the best units per second.</summary>
    public static double BestRate(Func<double> window, TimeSpan budget, int minimumWindows = 8)
    {
        double best = 0;
        var total = Stopwatch.StartNew();
        for (int n = 0; n < minimumWindows || total.Elapsed < budget; n++)
        {
            long start = Stopwatch.GetTimestamp();
            double units = window();
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (seconds > 0)
                best = Math.Max(best, units / seconds);
            if (total.Elapsed > 10 * budget)
                break; // a machine this loaded will not give a better window
        }
        return best;
    }

    /// <summary>
    /// The rate a device run keeps, from windows timed on the calling thread (see the overload for windows that time
    /// themselves): a window during which the thread was preempted or the process compiled methods is left out.
    /// </summary>
    public static double SustainedRate(Func<double> window, TimeSpan budget, int windowsPerRun = WholeBudgetRuns) =>
        SustainedRate(() =>
        {
            long methods = WindowDisturbance.CompiledMethods();
            var start = WindowDisturbance.Now();
            double units = window();
            double seconds = Stopwatch.GetElapsedTime(start.WallTicks).TotalSeconds;
            return new ProbeWindow(units, seconds,
                WindowDisturbance.IsDisturbed(seconds, start.OffCoreSecondsSince(), WindowDisturbance.CompiledMethods() - methods));
        }, budget, windowsPerRun);

    /// <summary>
    /// The rate a device run keeps (tokens over its wall time, the median of the runs, as <c>lpu calibrate</c>
    /// reports it), from windows that time themselves and say whether they were disturbed:
    /// <list type="bullet">
    /// <item>windows run until <paramref name="budget"/> seconds of undisturbed windows (by their own seconds) and at
    /// least <see cref="MinimumWindows"/> of them have run, so that a disturbed stretch makes the probe longer, not
    /// slower; but, once that minimum has run, never past <see cref="MaximumBudgets"/> budgets of windows;</item>
    /// <item>the undisturbed windows, in the order they ran, are cut into runs of <paramref name="windowsPerRun"/>
    /// windows (a device run's tokens, when a window is a token) and the median run's rate is returned
    /// (<see cref="MedianRunRate"/>, <see cref="RunsOf"/>). Runs as long as a device run pay the slow moments a device
    /// run pays; many of them keep a stretch of stalls the guest cannot see (the host's) from deciding the rate.</item>
    /// </list>
    /// When too few windows were undisturbed to make <see cref="MinimumRuns"/> runs, every window counts.
    /// </summary>
    public static double SustainedRate(Func<ProbeWindow> window, TimeSpan budget, int windowsPerRun = WholeBudgetRuns)
    {
        ArgumentNullException.ThrowIfNull(window);
        if (windowsPerRun < 1)
            throw new ArgumentOutOfRangeException(nameof(windowsPerRun), $"at least one window per run, got {windowsPerRun}");
        var all = new List<ProbeWindow>();
        int undisturbed = 0;
        double undisturbedSeconds = 0, allSeconds = 0;
        var elapsed = Stopwatch.StartNew();
        while (undisturbed < MinimumWindows || undisturbedSeconds < budget.TotalSeconds)
        {
            var w = window();
            all.Add(w);
            allSeconds += w.Seconds;
            if (!w.Disturbed)
            {
                undisturbed++;
                undisturbedSeconds += w.Seconds;
            }
            // A machine this busy will not give a better window; the wall clock also stops windows that report no time.
            if (all.Count >= MinimumWindows && (allSeconds > MaximumBudgets * budget.TotalSeconds || elapsed.Elapsed > 2 * MaximumBudgets * budget))
                break;
        }
        return UndisturbedRate(all, windowsPerRun);
    }

    /// <summary>
    /// The one rule both sides of <c>lpu calibrate</c> use, the probes that predict and the device run that is
    /// measured: the undisturbed windows (tokens, for the device), in the order they ran, cut into runs of
    /// <paramref name="windowsPerRun"/> (<see cref="RunsOf"/>), and the median run's units over its seconds
    /// (<see cref="MedianRunRate"/>). When fewer than <see cref="MinimumRuns"/> windows were undisturbed, every window
    /// counts: a machine that never left the device alone is reported as it was.
    /// </summary>
    public static double UndisturbedRate(IReadOnlyList<ProbeWindow> windows, int windowsPerRun)
    {
        ArgumentNullException.ThrowIfNull(windows);
        if (windows.Count == 0)
            throw new ArgumentException("a rate needs at least one window", nameof(windows));
        var undisturbed = windows.Where(w => !w.Disturbed).Select(w => (w.Units, w.Seconds)).ToList();
        var counted = undisturbed.Count >= MinimumRuns ? undisturbed : windows.Select(w => (w.Units, w.Seconds)).ToList();
        return MedianRunRate(counted, RunsOf(counted.Count, windowsPerRun));
    }

    /// <summary>Undisturbed windows a sustained rate waits for, however short its budget.</summary>
    public const int MinimumWindows = 8;

    /// <summary>Runs a sustained rate takes the median of, at the least.</summary>
    public const int MinimumRuns = 3;

    /// <summary>How many budgets of windows a sustained rate runs at most, disturbed ones included.</summary>
    public const int MaximumBudgets = 4;

    /// <summary>Windows per run for a probe whose windows are not a device run's units: <see cref="MinimumRuns"/> runs.</summary>
    public const int WholeBudgetRuns = int.MaxValue;

    /// <summary>
    /// How many runs <paramref name="windows"/> windows make at <paramref name="windowsPerRun"/> windows a run: as many
    /// as fit, but at least <see cref="MinimumRuns"/> (shorter runs then), or one per window when there are fewer.
    /// </summary>
    public static int RunsOf(int windows, int windowsPerRun)
    {
        if (windows < 1 || windowsPerRun < 1)
            throw new ArgumentOutOfRangeException(nameof(windows), $"{windows} windows in runs of {windowsPerRun}");
        return Math.Max(Math.Min(MinimumRuns, windows), windows / windowsPerRun);
    }

    /// <summary>
    /// Cuts <paramref name="windows"/> (in the order they ran) into <paramref name="runs"/> consecutive runs of equal
    /// count (the last takes the remainder), takes each run's rate as its units over its seconds, and returns the
    /// median run's rate. This is the statistic <c>lpu calibrate</c> reports for the device: each run's tokens over its
    /// wall time, the median of the runs. A slow window weighs in by the time it took, as a slow token does, while one
    /// run spoiled by another process does not decide the result.
    /// </summary>
    public static double MedianRunRate(IReadOnlyList<(double Units, double Seconds)> windows, int runs)
    {
        ArgumentNullException.ThrowIfNull(windows);
        if (runs < 1)
            throw new ArgumentOutOfRangeException(nameof(runs), $"at least one run, got {runs}");
        if (windows.Count < runs)
            throw new ArgumentException($"{windows.Count} windows cannot make {runs} runs", nameof(windows));
        var rates = new double[runs];
        int per = windows.Count / runs;
        for (int r = 0; r < runs; r++)
        {
            double units = 0, seconds = 0;
            int end = r == runs - 1 ? windows.Count : (r + 1) * per;
            for (int i = r * per; i < end; i++)
            {
                if (windows[i].Units < 0 || windows[i].Seconds < 0 || !double.IsFinite(windows[i].Units) || !double.IsFinite(windows[i].Seconds))
                    throw new ArgumentException($"window {i} has {windows[i].Units} units in {windows[i].Seconds} s", nameof(windows));
                units += windows[i].Units;
                seconds += windows[i].Seconds;
            }
            rates[r] = seconds > 0 ? units / seconds : 0;
        }
        Array.Sort(rates);
        // The lower middle for an even count: a rate a run actually kept, and the cautious one.
        return rates[(runs - 1) / 2];
    }
}
